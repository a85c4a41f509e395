// The Kubernetes Secret source against fake_apiserver.py over HTTPS on 127.0.0.1: initial
// sync, updates and deletes, bookmarks, relist after 410, abrupt disconnects, slow
// responses, recovery after the API server restarts, unsynced (fail closed) while
// unreachable, bearer token checks and rotation, namespaces and paging.
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "kube_secret_source.h"
#include "secret_sources.h"
#include "base64_encode.h"
#include "log_capture.h"
#include "secret_rules.h"

extern char** environ;

namespace feast::kube {
namespace {

namespace fs = std::filesystem;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using json = nlohmann::json;
using namespace std::chrono_literals;
using feast::testing::b64;
using feast::testing::kPassword;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return pred();
}

// One fake API server process.
class FakeApiServer {
 public:
  FakeApiServer(fs::path dir, std::string token) : dir_(std::move(dir)), token_(std::move(token)) {}
  ~FakeApiServer() { kill(); }

  void start(unsigned short port = 0, int rv_base = 100) {
    static int starts = 0;
    fs::path port_file = dir_ / ("ports-" + std::to_string(++starts));
    fs::remove(port_file);
    std::vector<std::string> args = {PYTHON3, FAKE_APISERVER,
                                     "--cert", (dir_ / "tls.crt").string(),
                                     "--key", (dir_ / "tls.key").string(),
                                     "--token", token_,
                                     "--port", std::to_string(port),
                                     "--port-file", port_file.string(),
                                     "--rv-base", std::to_string(rv_base)};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    ASSERT_EQ(posix_spawn(&pid_, PYTHON3, nullptr, nullptr, argv.data(), environ), 0);
    ASSERT_TRUE(eventually([&] { return fs::exists(port_file); }, 10s)) << "fake did not start";
    json ports = json::parse(slurp(port_file));
    api_port_ = ports["api"].get<unsigned short>();
    control_port_ = ports["control"].get<unsigned short>();
  }

  void kill() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

  json control(const std::string& op, const json& body = json::object()) {
    asio::io_context ioc;
    asio::ip::tcp::socket socket(ioc);
    socket.connect({asio::ip::make_address("127.0.0.1"), control_port_});
    http::request<http::string_body> req{op == "stats" ? http::verb::get : http::verb::post,
                                         "/" + op, 11};
    req.set(http::field::host, "127.0.0.1");
    req.body() = body.dump();
    req.prepare_payload();
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return json::parse(res.body());
  }

  void put(const std::string& ns, const std::string& name, std::map<std::string, std::string> values) {
    json data = json::object();
    for (auto& [k, v] : values) data[k] = b64(v);
    control("put", {{"namespace", ns}, {"name", name}, {"data", data}});
  }
  void erase(const std::string& ns, const std::string& name) {
    control("delete", {{"namespace", ns}, {"name", name}});
  }

  unsigned short api_port() const { return api_port_; }

 private:
  fs::path dir_;
  std::string token_;
  pid_t pid_ = -1;
  unsigned short api_port_ = 0;
  unsigned short control_port_ = 0;
};

class KubeSource : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = fs::temp_directory_path() / ("feast-kube-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
    std::string cmd = std::string(OPENSSL_BIN) +
                      " req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1"
                      " -subj /CN=fake-apiserver -addext subjectAltName=IP:127.0.0.1,DNS:localhost"
                      " -keyout " + (dir_ / "tls.key").string() +
                      " -out " + (dir_ / "tls.crt").string() + " 2>/dev/null";
    ASSERT_EQ(std::system(cmd.c_str()), 0);
  }
  static void TearDownTestSuite() { fs::remove_all(dir_); }

  void SetUp() override {
    std::ofstream(dir_ / "token") << "good-token\n";
    fake.start();
  }

  std::shared_ptr<KubeConfig> config(unsigned short port = 0) {
    auto c = std::make_shared<KubeConfig>();
    c->host = "127.0.0.1";
    c->port = std::to_string(port ? port : fake.api_port());
    c->ca_pem = slurp(dir_ / "tls.crt");
    c->token = TokenSource::file(dir_ / "token");
    c->origin = "test";
    return c;
  }

  static KubeSecretSourceOptions fast(std::vector<std::string> namespaces = {}) {
    KubeSecretSourceOptions o;
    o.namespaces = std::move(namespaces);
    o.list_watch.page_size = 10;
    o.list_watch.request_timeout = 1500ms;
    o.list_watch.watch_timeout = 2s;
    o.list_watch.watch_idle_grace = 1500ms;
    o.list_watch.backoff_initial = 50ms;
    o.list_watch.backoff_max = 400ms;
    return o;
  }

  static inline fs::path dir_;
  FakeApiServer fake{dir_, "good-token"};
  std::shared_ptr<SecretIndex> index = std::make_shared<SecretIndex>();
};

json feature_store(const std::string& secret) {
  return {{"spec",
           {{"services",
             {{"onlineStore",
               {{"persistence", {{"store", {{"type", "redis"}, {"secretRef", {{"name", secret}}}}}}}}}}}}}};
}

TEST_F(KubeSource, InitialSyncThenDecisionsUseTheCache) {
  fake.put("feast", "stores", {{"redis", "connection_string: redis:6379\npassword: " + std::string(kPassword)}});
  fake.put("feast", "broken", {{"redis", "- " + std::string(kPassword)}});
  fake.put("other", "stores", {{"sql", "path: x"}});
  KubeSecretSource source(config(), index, fast());
  EXPECT_FALSE(index->synced());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  EXPECT_EQ(index->size(), 3u);
  auto facts = index->find("feast", "stores");
  ASSERT_NE(facts, nullptr);
  EXPECT_TRUE(facts->find("redis")->is_mapping());

  EXPECT_TRUE(check_secrets(feature_store("stores"), "feast", "v1", *index, {}).errors.empty());
  SecretCheck broken = check_secrets(feature_store("broken"), "feast", "v1", *index, {});
  ASSERT_EQ(broken.errors.size(), 1u);
  EXPECT_EQ(broken.errors[0].error.text().find(kPassword), std::string::npos);
  EXPECT_EQ(check_secrets(feature_store("stores"), "other", "v1", *index, {}).errors.size(), 1u);
  EXPECT_EQ(fake.control("stats")["unauthorized"], 0);
}

TEST_F(KubeSource, UpdatesAndDeletesAreReflected) {
  fake.put("feast", "stores", {{"redis", "- not a map"}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  EXPECT_FALSE(index->find("feast", "stores")->find("redis")->is_mapping());

  fake.put("feast", "stores", {{"redis", "connection_string: x"}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "stores")->find("redis")->is_mapping(); }));
  EXPECT_EQ(check_secrets(feature_store("stores"), "feast", "v1", *index, {}).errors.size(), 0u);

  fake.put("feast", "new", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "new") != nullptr; }));

  fake.erase("feast", "stores");
  EXPECT_TRUE(eventually([&] { return index->find("feast", "stores") == nullptr; }));
  EXPECT_EQ(check_secrets(feature_store("stores"), "feast", "v1", *index, {}).errors.size(), 1u);
  EXPECT_EQ(source.lists(), 1u);  // all by watch, no relist
}

TEST_F(KubeSource, BookmarksAndWatchTimeoutsDoNotRelist) {
  fake.control("bookmarks", {{"interval", 0.2}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  std::this_thread::sleep_for(2500ms);  // past one watch timeoutSeconds (2-4 s)
  fake.put("feast", "late", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "late") != nullptr; }));
  json stats = fake.control("stats");
  EXPECT_GT(stats["bookmarks"].get<int>(), 0);
  EXPECT_EQ(source.lists(), 1u);
  bool bookmark_param = false;
  for (const auto& p : stats["paths"]) {
    std::string s = p.get<std::string>();
    if (s.find("watch=1") != std::string::npos) {
      bookmark_param = s.find("allowWatchBookmarks=true") != std::string::npos &&
                       s.find("resourceVersion=1") != std::string::npos;
    }
  }
  EXPECT_TRUE(bookmark_param) << stats["paths"].dump();
}

TEST_F(KubeSource, RelistAfter410Gone) {
  fake.put("feast", "a", {{"redis", ""}});
  fake.put("feast", "b", {{"redis", ""}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  ASSERT_TRUE(eventually([&] { return fake.control("stats")["watches"].get<int>() >= 1; }));
  std::this_thread::sleep_for(200ms);

  // History compacted while a change happens: the open watch gets ERROR 410, the client
  // lists again and sees the world as it is now.
  fake.erase("feast", "b");
  fake.control("expire");
  fake.put("feast", "c", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return source.lists() >= 2; }));
  EXPECT_TRUE(eventually([&] {
    return index->find("feast", "b") == nullptr && index->find("feast", "c") != nullptr;
  }));
  EXPECT_NE(index->find("feast", "a"), nullptr);
  EXPECT_GE(fake.control("stats")["errors_sent"].get<int>(), 1);
}

TEST_F(KubeSource, AbruptDisconnectRewatchesFromTheLastResourceVersion) {
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  ASSERT_TRUE(eventually([&] { return fake.control("stats")["watches"].get<int>() >= 1; }));
  fake.put("feast", "one", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "one") != nullptr; }));
  fake.control("drop");
  fake.put("feast", "two", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "two") != nullptr; }));
  EXPECT_GE(fake.control("stats")["dropped"].get<int>(), 1);
  EXPECT_EQ(source.lists(), 1u);
}

// Fault: a broken proxy or truncated buffer puts something that is not a WatchEvent into
// the stream. Nothing of it is applied; the source lists again and carries on.
TEST_F(KubeSource, GarbageMidWatchIsNotAppliedAndTheSourceListsAgain) {
  fake.put("feast", "one", {{"redis", ""}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  ASSERT_TRUE(eventually([&] { return fake.control("stats")["watches"].get<int>() >= 1; }));
  fake.control("garbage");
  EXPECT_TRUE(eventually([&] { return source.lists() >= 2u; }));
  EXPECT_GE(fake.control("stats")["garbage_sent"].get<int>(), 1);
  EXPECT_TRUE(index->synced());
  EXPECT_NE(index->find("feast", "one"), nullptr);
  fake.put("feast", "two", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "two") != nullptr; }));
}

// Fault: the watch connection stays open but goes silent (a half-dead load balancer).
// Past its timeoutSeconds plus the idle grace the source gives up on it and watches again
// from its last resourceVersion; the cache keeps answering meanwhile.
TEST_F(KubeSource, StalledWatchIsAbandonedAndWatchedAgain) {
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  fake.put("feast", "one", {{"redis", ""}});
  ASSERT_TRUE(eventually([&] { return index->find("feast", "one") != nullptr; }));
  fake.control("stall");
  ASSERT_TRUE(eventually([&] { return fake.control("stats")["stalled"].get<int>() >= 1; }));
  fake.put("feast", "two", {{"redis", ""}});
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(index->find("feast", "two"), nullptr);  // the stalled stream delivers nothing
  EXPECT_TRUE(index->synced());
  // timeoutSeconds in [2, 4) s plus 1.5 s grace: at most 5.5 s.
  EXPECT_TRUE(eventually([&] { return index->find("feast", "two") != nullptr; }, 8s));
  EXPECT_EQ(source.lists(), 1u);
}

TEST_F(KubeSource, SlowResponsesTimeOutAndAreRetried) {
  fake.put("feast", "a", {{"redis", ""}});
  fake.control("slow", {{"list", 2.5}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  std::this_thread::sleep_for(1800ms);
  EXPECT_FALSE(index->synced());  // request timeout 1.5 s
  EXPECT_TRUE(check_secrets(feature_store("a"), "feast", "v1", *index, {}).unchecked);
  fake.control("slow", {{"list", 0.3}});
  EXPECT_TRUE(eventually([&] { return index->synced(); }, 8s));
  EXPECT_NE(index->find("feast", "a"), nullptr);
}

TEST_F(KubeSource, RecoversAfterTheApiServerRestarts) {
  fake.put("feast", "a", {{"redis", ""}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  unsigned short port = fake.api_port();

  fake.kill();
  std::this_thread::sleep_for(500ms);
  // The cache keeps answering while the API server is away.
  EXPECT_TRUE(index->synced());
  EXPECT_NE(index->find("feast", "a"), nullptr);

  fake.start(port, 5000);  // a new process; etcd moved on
  fake.put("feast", "b", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] {
    return index->find("feast", "b") != nullptr && index->find("feast", "a") == nullptr;
  }, 10s));
  EXPECT_GE(source.lists(), 2u);
}

TEST_F(KubeSource, UnsyncedWhileUnreachableThenSyncs) {
  unsigned short port = fake.api_port();
  fake.kill();
  KubeSecretSource source(config(port), index, fast());
  source.start();
  std::this_thread::sleep_for(1000ms);
  EXPECT_FALSE(index->synced());
  SecretCheck c = check_secrets(feature_store("a"), "feast", "v1", *index, {});
  EXPECT_TRUE(c.unchecked);
  EXPECT_TRUE(c.errors.empty());

  fake.start(port);
  fake.put("feast", "a", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->synced(); }, 8s));
  EXPECT_FALSE(check_secrets(feature_store("a"), "feast", "v1", *index, {}).unchecked);
}

TEST_F(KubeSource, BearerTokenIsCheckedAndReReadWhenItRotates) {
  std::ofstream(dir_ / "token") << "wrong-token\n";
  fake.put("feast", "a", {{"redis", ""}});
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return fake.control("stats")["unauthorized"].get<int>() >= 1; }));
  EXPECT_FALSE(index->synced());

  std::ofstream(dir_ / "token") << "good-token\n";
  EXPECT_TRUE(eventually([&] { return index->synced(); }));

  // The kubelet rotates the bound token; the API server only accepts the new one.
  std::ofstream(dir_ / "token") << "rotated-token\n";
  fake.control("token", {{"token", "rotated-token"}});
  fake.control("drop");
  fake.put("feast", "after-rotation", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("feast", "after-rotation") != nullptr; }));
}

TEST_F(KubeSource, NamespacesArePerNamespaceWatchesAndPagesAreFollowed) {
  for (int i = 0; i < 25; ++i) fake.put("a", "s" + std::to_string(i), {{"redis", ""}});
  fake.put("b", "x", {{"redis", ""}});
  fake.put("c", "hidden", {{"redis", ""}});
  KubeSecretSource source(config(), index, fast(split_namespaces("a, b")));
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  EXPECT_EQ(index->size(), 26u);
  EXPECT_EQ(index->find("c", "hidden"), nullptr);
  fake.put("b", "y", {{"redis", ""}});
  fake.put("c", "z", {{"redis", ""}});
  EXPECT_TRUE(eventually([&] { return index->find("b", "y") != nullptr; }));
  EXPECT_EQ(index->find("c", "z"), nullptr);
  bool paged = false;
  json stats = fake.control("stats");
  for (const auto& p : stats["paths"]) {
    std::string s = p.get<std::string>();
    EXPECT_EQ(s.rfind("/api/v1/namespaces/", 0), 0u) << s;
    paged = paged || s.find("continue=") != std::string::npos;
  }
  EXPECT_TRUE(paged);
}

TEST_F(KubeSource, StopIsPromptWhileAWatchIsOpen) {
  KubeSecretSource source(config(), index, fast());
  source.start();
  ASSERT_TRUE(eventually([&] { return index->synced(); }));
  std::this_thread::sleep_for(200ms);
  auto t0 = std::chrono::steady_clock::now();
  source.stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);
}

TEST_F(KubeSource, WrongCertificateAuthorityIsRefused) {
  auto c = config();
  c->ca_pem.clear();  // the system store does not know the fake's CA
  KubeSecretSource source(c, index, fast());
  source.start();
  std::this_thread::sleep_for(800ms);
  EXPECT_FALSE(index->synced());
  EXPECT_EQ(fake.control("stats")["lists"].get<int>(), 0);
}

TEST_F(KubeSource, NamespacesAreWatchedWithTheSameMachinery) {
  fake.control("put-namespace", {{"name", "feast"}, {"labels", {{"env", "prod"}}}});
  fake.control("put-namespace", {{"name", "dev"}});
  auto namespaces = std::make_shared<NamespaceIndex>();
  KubeNamespaceSource source(config(), namespaces, fast().list_watch);
  source.start();
  ASSERT_TRUE(eventually([&] { return namespaces->synced(); }));
  EXPECT_EQ(namespaces->size(), 2u);
  EXPECT_EQ(namespaces->labels("feast")->at("env"), "prod");
  fake.control("put-namespace", {{"name", "dev"}, {"labels", {{"env", "dev"}}}});
  EXPECT_TRUE(eventually([&] { return namespaces->labels("dev")->count("env") == 1; }));
  fake.control("delete-namespace", {{"name", "feast"}});
  EXPECT_TRUE(eventually([&] { return !namespaces->labels("feast").has_value(); }));
  fake.control("expire");
  fake.control("put-namespace", {{"name", "later"}});
  EXPECT_TRUE(eventually([&] { return namespaces->labels("later").has_value(); }));
  EXPECT_GE(source.lists(), 2u);
}

TEST_F(KubeSource, SecretSourcesFromFlagsWithAKubeconfig) {
  fake.put("feast", "a", {{"redis", ""}});
  std::ofstream(dir_ / "kubeconfig") << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
      "contexts: [{name: fake, context: {cluster: fake, user: fake}}]\n"
      "clusters: [{name: fake, cluster: {server: 'https://127.0.0.1:" << fake.api_port()
      << "', certificate-authority: tls.crt}}]\n"
         "users: [{name: fake, user: {tokenFile: token}}]\n";
  SecretSourceFlags flags;
  flags.kubeconfig = (dir_ / "kubeconfig").string();
  flags.namespaces = "feast";
  fake.control("put-namespace", {{"name", "feast"}, {"labels", {{"env", "prod"}}}});
  auto namespaces = std::make_shared<NamespaceIndex>();
  auto sources = SecretSources::start(flags, index, namespaces, fast().list_watch);
  EXPECT_TRUE(sources->configured());
  EXPECT_TRUE(sources->watches_namespaces());
  EXPECT_TRUE(eventually([&] { return sources->ready(); }));
  EXPECT_NE(index->find("feast", "a"), nullptr);
  ASSERT_TRUE(namespaces->labels("feast").has_value());
  EXPECT_EQ(namespaces->labels("feast")->at("env"), "prod");
  EXPECT_NE(sources->description().find("https://127.0.0.1:"), std::string::npos);
  sources->stop();

  auto none = SecretSources::start({}, std::make_shared<SecretIndex>());
  EXPECT_FALSE(none->configured());
  EXPECT_TRUE(none->ready());

  flags.kubeconfig = (dir_ / "missing").string();
  EXPECT_THROW(SecretSources::start(flags, index), std::runtime_error);
}

}  // namespace
}  // namespace feast::kube

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::AddGlobalTestEnvironment(new feast::testing::NoLeakEnvironment);
  return RUN_ALL_TESTS();
}
