// KubeConfig: in-cluster and kubeconfig loading, token re-reading.
#include "kube_config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

namespace feast::kube {
namespace {

namespace fs = std::filesystem;

class KubeConfigFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = fs::temp_directory_path() / ("feast-kubeconfig-" + std::to_string(::getpid()));
    fs::create_directories(dir);
  }
  void TearDown() override { fs::remove_all(dir); }
  void write(const std::string& name, const std::string& text) { std::ofstream(dir / name) << text; }
  fs::path dir;
};

TEST(ServerUrl, Forms) {
  KubeConfig c;
  parse_server_url("https://10.0.0.1:6443", c);
  EXPECT_EQ(c.host, "10.0.0.1");
  EXPECT_EQ(c.port, "6443");
  EXPECT_EQ(c.base_path, "");
  parse_server_url("https://api.example.com/k8s/clusters/c-1/", c);
  EXPECT_EQ(c.host, "api.example.com");
  EXPECT_EQ(c.port, "443");
  EXPECT_EQ(c.base_path, "/k8s/clusters/c-1");
  parse_server_url("https://[::1]:8443", c);
  EXPECT_EQ(c.host, "::1");
  EXPECT_EQ(c.port, "8443");
  EXPECT_THROW(parse_server_url("http://insecure:80", c), KubeConfigError);
}

TEST_F(KubeConfigFiles, CurrentContextWithInlineCaAndToken) {
  write("config", R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: other
  context: {cluster: nope, user: nope}
- name: dev
  context: {cluster: kind, user: admin, namespace: feast}
clusters:
- name: kind
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: )" "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==" R"(
users:
- name: admin
  user:
    token: abc.def
)");
  KubeConfig c = load_kubeconfig(dir / "config");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, "6443");
  EXPECT_EQ(c.ca_pem, "-----BEGIN CERTIFICATE-----\n");
  EXPECT_EQ(c.token.current(), "abc.def");
  EXPECT_EQ(c.describe().find("abc.def"), std::string::npos);
  EXPECT_THROW(load_kubeconfig(dir / "config", "other"), KubeConfigError);
}

TEST_F(KubeConfigFiles, ClientCertificateFilesRelativeToTheKubeconfig) {
  write("ca.pem", "CA");
  write("client.crt", "CERT");
  write("client.key", "KEY");
  write("config", R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://kube:443", certificate-authority: ca.pem}}]
users: [{name: u, user: {client-certificate: client.crt, client-key: client.key}}]
)");
  KubeConfig c = load_kubeconfig(dir / "config");
  EXPECT_EQ(c.ca_pem, "CA");
  EXPECT_EQ(c.client_cert_pem, "CERT");
  EXPECT_EQ(c.client_key_pem, "KEY");
  EXPECT_TRUE(c.token.empty());
}

TEST_F(KubeConfigFiles, ExecPluginsAreRefusedClearly) {
  write("config", R"(current-context: c
contexts: [{name: c, context: {cluster: k, user: u}}]
clusters: [{name: k, cluster: {server: "https://kube"}}]
users: [{name: u, user: {exec: {command: aws}}}]
)");
  try {
    load_kubeconfig(dir / "config");
    FAIL();
  } catch (const KubeConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("exec"), std::string::npos);
  }
}

TEST_F(KubeConfigFiles, InClusterReadsTheServiceAccountAndRereadsTheToken) {
  write("token", "first\n");
  write("ca.crt", "CA");
  ::setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1", 1);
  ::setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  KubeConfig c = in_cluster_config(dir);
  EXPECT_EQ(c.host, "10.96.0.1");
  EXPECT_EQ(c.ca_pem, "CA");
  EXPECT_EQ(c.token.current(), "first");
  write("token", "second-token\n");
  EXPECT_EQ(c.token.current(), "second-token");
  ::unsetenv("KUBERNETES_SERVICE_HOST");
  EXPECT_THROW(in_cluster_config(dir), KubeConfigError);
}

}  // namespace
}  // namespace feast::kube
