// The real feast-admission binary on loopback ports, with certificates from
// certs/gen-certs.sh, driven by real clients: curl, openssl s_client and a Beast TLS client.
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <signal.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "integration_support.h"

namespace feast::testing {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kMutateV1 = "/mutate-feast-dev-v1-featurestore";
constexpr const char* kValidateV1 = "/validate-feast-dev-v1-featurestore";
constexpr const char* kValidateV1alpha1 = "/validate-feast-dev-v1alpha1-featurestore";

std::string base64_decode(const std::string& text) {
  std::string out(text.size(), '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return {};
  std::size_t size = static_cast<std::size_t>(n);
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

namespace fs = std::filesystem;

json parse(const std::string& body) { return json::parse(body, nullptr, false); }

class AdmissionServer : public ServedTest {
 protected:
  // POST with curl, verifying the server certificate for the name "localhost".
  std::pair<int, std::string> curl(const std::string& target, const std::string& body) {
    const auto file = dir_.path() / "body.json";
    std::ofstream(file) << body;
    const CommandResult result = run_command(
        "curl -sS --max-time 5 --cacert '" + ca_file_.string() +
        "' -H 'Content-Type: application/json' --data-binary @'" + file.string() +
        "' -w '\\n%{http_code}' 'https://localhost:" + std::to_string(server_->port()) +
        target + "'");
    EXPECT_EQ(result.exit_code, 0) << result.output;
    const auto split = result.output.rfind('\n');
    if (split == std::string::npos) return {0, result.output};
    return {std::stoi(result.output.substr(split + 1)), result.output.substr(0, split)};
  }

  CommandResult s_client(const std::string& flags) {
    return run_command("openssl s_client -connect 127.0.0.1:" + std::to_string(server_->port()) +
                       " -servername localhost -CAfile '" + ca_file_.string() +
                       "' -verify_return_error " + flags + " </dev/null");
  }

};

TEST_F(AdmissionServer, CurlWithHostnameVerificationGetsReviewWithUidEchoedAndPatch) {
  start();
  ReviewSpec spec;
  spec.uid = "705ab4f5-6393-11e8-b7cc-42010a800002";
  auto [status, body] = curl(std::string(kMutateV1) + "?timeout=10s", admission_review(spec));
  ASSERT_EQ(status, 200) << body;
  const json review = parse(body);
  EXPECT_EQ(review["apiVersion"], "admission.k8s.io/v1");
  EXPECT_EQ(review["kind"], "AdmissionReview");
  const json& response = review["response"];
  EXPECT_EQ(response["uid"], "705ab4f5-6393-11e8-b7cc-42010a800002");
  EXPECT_EQ(response["allowed"], true);
  EXPECT_EQ(response["patchType"], "JSONPatch");
  const json patch = parse(base64_decode(response.value("patch", "")));
  ASSERT_TRUE(patch.is_array()) << response;
  ASSERT_FALSE(patch.empty());
  for (const json& op : patch) EXPECT_EQ(op["op"], "add");
  // One JSON log line for the decision, with the request's identity.
  EXPECT_TRUE(server_->wait_for_log(
      R"("msg":"admission decision","webhook":"mutate","uid":"705ab4f5-6393-11e8-b7cc-42010a800002")"))
      << server_->log();
}

TEST_F(AdmissionServer, CurlV1beta1ReviewIsAnsweredInV1beta1) {
  start();
  ReviewSpec spec;
  spec.api_version = "admission.k8s.io/v1beta1";
  spec.uid = "beta-uid";
  spec.version = "v1alpha1";
  auto [status, body] = curl(kValidateV1alpha1, admission_review(spec));
  ASSERT_EQ(status, 200) << body;
  const json review = parse(body);
  EXPECT_EQ(review["apiVersion"], "admission.k8s.io/v1beta1");
  EXPECT_EQ(review["response"]["uid"], "beta-uid");
  EXPECT_EQ(review["response"]["allowed"], true);
}

TEST_F(AdmissionServer, CurlDeleteAndStatusSubresourceAreAllowedWithoutPatch) {
  start();
  ReviewSpec deletion;
  deletion.uid = "del";
  deletion.operation = "DELETE";
  deletion.with_object = false;
  deletion.with_old_object = true;
  auto [delete_status, delete_body] = curl(kMutateV1, admission_review(deletion));
  ASSERT_EQ(delete_status, 200) << delete_body;
  const json deleted = parse(delete_body)["response"];
  EXPECT_EQ(deleted["uid"], "del");
  EXPECT_EQ(deleted["allowed"], true);
  EXPECT_FALSE(deleted.contains("patch"));

  ReviewSpec status_update_spec;
  status_update_spec.uid = "st";
  status_update_spec.operation = "UPDATE";
  status_update_spec.sub_resource = "status";
  status_update_spec.with_old_object = true;
  auto [status_status, status_body] = curl(kMutateV1, admission_review(status_update_spec));
  ASSERT_EQ(status_status, 200) << status_body;
  const json status_update = parse(status_body)["response"];
  EXPECT_EQ(status_update["allowed"], true);
  EXPECT_FALSE(status_update.contains("patch"));
  EXPECT_FALSE(status_update.contains("patchType"));
}

TEST_F(AdmissionServer, CurlUnsupportedStoreTypeIsDeniedWithApiServerStatus) {
  start();
  ReviewSpec spec;
  spec.uid = "bad";
  spec.store_type = "mysqll";
  auto [status, body] = curl(kValidateV1, admission_review(spec));
  ASSERT_EQ(status, 200) << body;
  const json response = parse(body)["response"];
  EXPECT_EQ(response["allowed"], false);
  EXPECT_EQ(response["status"]["status"], "Failure");
  EXPECT_EQ(response["status"]["code"], 422);
  EXPECT_EQ(response["status"]["reason"], "Invalid");
  EXPECT_EQ(response["status"]["details"]["kind"], "FeatureStore");
  EXPECT_EQ(response["status"]["details"]["causes"][0]["field"],
            "spec.services.onlineStore.persistence.store.type");
  EXPECT_EQ(response["status"]["details"]["causes"][0]["reason"], "FieldValueNotSupported");
}

TEST_F(AdmissionServer, KeepAliveConnectionSurvivesEveryMalformedRequest) {
  start({"--max-request-bytes", "65536"});
  const std::string good = admission_review({});
  TlsClient client(ca_file_);
  ASSERT_EQ(client.connect(server_->port()), "");

  EXPECT_EQ(client.request("POST", kValidateV1, good).status, 200u);
  const HttpReply not_found = client.request("POST", "/validate-pods", good);
  EXPECT_EQ(not_found.status, 404u);
  const HttpReply get = client.request("GET", kValidateV1, "");
  EXPECT_EQ(get.status, 405u);
  EXPECT_EQ(get.allow, "POST");
  EXPECT_EQ(client.request("POST", kMutateV1, good, "text/plain").status, 415u);
  EXPECT_EQ(client.request("POST", kMutateV1, good, "").status, 415u);
  EXPECT_EQ(client.request("POST", kMutateV1, "{\"apiVersion\":").status, 400u);
  const HttpReply not_review = client.request("POST", kMutateV1, R"({"apiVersion":"v1","kind":"Pod"})");
  EXPECT_EQ(not_review.status, 400u);
  EXPECT_NE(not_review.body.find("AdmissionReview"), std::string::npos) << not_review.body;
  EXPECT_NE(not_review.connection, "close");
  // Still the same connection: the client never reconnects, so this fails if it was closed.
  const HttpReply after = client.request("POST", std::string(kMutateV1) + "?timeout=10s", good);
  EXPECT_EQ(after.status, 200u);
  EXPECT_EQ(parse(after.body)["response"]["uid"], "uid-1");

  // A declared body over the limit is refused before a single body byte is sent.
  EXPECT_TRUE(client.write_raw(std::string("POST ") + kValidateV1 +
                               " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                               "Content-Length: 100000000\r\n\r\n"));
  const HttpReply too_large = client.read_reply();
  EXPECT_EQ(too_large.status, 413u);
  EXPECT_EQ(too_large.connection, "close");
  EXPECT_TRUE(client.wait_closed(3s));

  // A chunked body that grows past the limit.
  TlsClient chunked(ca_file_);
  ASSERT_EQ(chunked.connect(server_->port()), "");
  std::string request = std::string("POST ") + kValidateV1 +
                        " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                        "Transfer-Encoding: chunked\r\n\r\n";
  for (int i = 0; i < 5; ++i) request += "4000\r\n" + std::string(0x4000, ' ') + "\r\n";
  request += "0\r\n\r\n";
  EXPECT_TRUE(chunked.write_raw(request));
  EXPECT_EQ(chunked.read_reply().status, 413u);

  // Header fields over the header limit.
  TlsClient big_header(ca_file_);
  ASSERT_EQ(big_header.connect(server_->port()), "");
  EXPECT_TRUE(big_header.write_raw(std::string("POST ") + kValidateV1 +
                                   " HTTP/1.1\r\nHost: localhost\r\nX-Filler: " +
                                   std::string(70 * 1024, 'x') + "\r\n\r\n"));
  EXPECT_EQ(big_header.read_reply().status, 431u);

  // Not HTTP at all.
  TlsClient garbage(ca_file_);
  ASSERT_EQ(garbage.connect(server_->port()), "");
  EXPECT_TRUE(garbage.write_raw("HELLO THERE\r\n\r\n"));
  EXPECT_EQ(garbage.read_reply().status, 400u);
  EXPECT_TRUE(garbage.wait_closed(3s));

  // The server still serves.
  TlsClient fresh(ca_file_);
  ASSERT_EQ(fresh.connect(server_->port()), "");
  EXPECT_EQ(fresh.request("POST", kMutateV1, good).status, 200u);
  EXPECT_TRUE(server_->running());
}

// How the request's bytes arrive must not matter: header and body in one TLS record (the
// body is parsed along with the header), the body in a later write (a second read), two
// requests in one write (pipelined), and a chunked body in one write.
TEST_F(AdmissionServer, RequestsWholeSplitPipelinedOrChunkedAreEachAnsweredInOrder) {
  start({});
  auto review = [](const std::string& uid) {
    ReviewSpec spec;
    spec.uid = uid;
    return admission_review(spec);
  };
  auto head = [](const std::string& framing) {
    return std::string("POST ") + kValidateV1 +
           " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + framing + "\r\n\r\n";
  };
  auto sized = [&](const std::string& body) {
    return head("Content-Length: " + std::to_string(body.size())) + body;
  };
  auto uid_of = [](const HttpReply& reply) {
    const json answer = parse(reply.body);
    return answer.is_object() ? answer["response"].value("uid", "") : "not JSON: " + reply.body;
  };
  TlsClient client(ca_file_);
  ASSERT_EQ(client.connect(server_->port()), "");

  ASSERT_TRUE(client.write_raw(sized(review("whole"))));
  HttpReply reply = client.read_reply();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(uid_of(reply), "whole");

  const std::string split = sized(review("split"));
  const std::size_t cut = split.find("\r\n\r\n") + 4 + 40;
  ASSERT_TRUE(client.write_raw(split.substr(0, cut)));
  std::this_thread::sleep_for(200ms);
  ASSERT_TRUE(client.write_raw(split.substr(cut)));
  reply = client.read_reply();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(uid_of(reply), "split");

  ASSERT_TRUE(client.write_raw(sized(review("first")) + sized(review("second"))));
  const HttpReply first = client.read_reply();
  const HttpReply second = client.read_reply();
  EXPECT_EQ(first.status, 200u);
  EXPECT_EQ(uid_of(first), "first");
  EXPECT_EQ(second.status, 200u);
  EXPECT_EQ(uid_of(second), "second");

  const std::string body = review("chunked");
  const std::size_t half = body.size() / 2;
  auto chunk = [](const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    return size + data + "\r\n";
  };
  ASSERT_TRUE(client.write_raw(head("Transfer-Encoding: chunked") + chunk(body.substr(0, half)) +
                               chunk(body.substr(half)) + "0\r\n\r\n"));
  reply = client.read_reply();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(uid_of(reply), "chunked");
  EXPECT_NE(reply.connection, "close");
}

TEST_F(AdmissionServer, RotatedCertificateReachesNewHandshakesAndOpenConnectionsKeepWorking) {
  start();
  const std::string old_serial = certificate_serial(cert_dir_ / "tls.crt");
  TlsClient before(ca_file_);
  ASSERT_EQ(before.connect(server_->port()), "");
  EXPECT_EQ(before.peer_serial(), old_serial);
  EXPECT_EQ(before.request("POST", kValidateV1, admission_review({})).status, 200u);

  ASSERT_FALSE(generate_certs(cert_dir_).empty());
  const std::string new_serial = certificate_serial(cert_dir_ / "tls.crt");
  ASSERT_NE(new_serial, old_serial);

  std::string presented;
  const auto deadline = Clock::now() + 3s;
  while (Clock::now() < deadline) {
    TlsClient probe(ca_file_);
    ASSERT_EQ(probe.connect(server_->port()), "");
    presented = probe.peer_serial();
    if (presented == new_serial) break;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(presented, new_serial);

  // The connection opened before the rotation keeps its certificate and keeps working.
  EXPECT_EQ(before.request("POST", kValidateV1, admission_review({})).status, 200u);
  EXPECT_EQ(before.peer_serial(), old_serial);

  // A broken certificate is refused; the last good pair stays in service.
  std::ofstream(cert_dir_ / "tls.crt", std::ios::trunc)
      << "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n";
  EXPECT_TRUE(server_->wait_for_log("certificate reload refused", 3s)) << server_->log();
  TlsClient after(ca_file_);
  ASSERT_EQ(after.connect(server_->port()), "");
  EXPECT_EQ(after.peer_serial(), new_serial);
  EXPECT_EQ(after.request("POST", kValidateV1, admission_review({})).status, 200u);
  EXPECT_EQ(http_get(server_->health_port(), "/readyz").status, 200u);
}

// Fault: the mounted Secret vanishes (or the files are removed mid-rotation). The server
// says so once and keeps serving the pair it holds; files that come back are loaded.
TEST_F(AdmissionServer, CertificateFilesThatDisappearKeepTheLastGoodPairServing) {
  start();
  const std::string serial = certificate_serial(cert_dir_ / "tls.crt");
  fs::remove(cert_dir_ / "tls.crt");
  fs::remove(cert_dir_ / "tls.key");
  ASSERT_TRUE(server_->wait_for_log("certificate reload refused", 3s)) << server_->log();
  const std::string log = server_->log();
  const auto refusal = log.find("certificate reload refused");
  const std::string refusal_line = log.substr(refusal, log.find('\n', refusal) - refusal);
  EXPECT_NE(refusal_line.find((cert_dir_ / "tls.crt").string()), std::string::npos) << refusal_line;
  for (int i = 0; i < 3; ++i) {  // several ticks later: still serving, still ready
    TlsClient client(ca_file_);
    ASSERT_EQ(client.connect(server_->port()), "");
    EXPECT_EQ(client.peer_serial(), serial);
    EXPECT_EQ(client.request("POST", kValidateV1, admission_review({})).status, 200u);
    EXPECT_EQ(http_get(server_->health_port(), "/readyz").status, 200u);
    std::this_thread::sleep_for(400ms);
  }

  ASSERT_FALSE(generate_certs(cert_dir_).empty());
  const std::string fresh = certificate_serial(cert_dir_ / "tls.crt");
  std::string presented;
  const auto back = Clock::now() + 3s;
  while (Clock::now() < back && presented != fresh) {
    TlsClient probe(ca_file_);
    ASSERT_EQ(probe.connect(server_->port()), "");
    presented = probe.peer_serial();
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(presented, fresh);
}

// A rotation that rewrites the files in place and slowly (`cp` of a chain, a writer in
// pieces): the chain is read only once it has settled, so no half-written tls.crt is
// refused with an error, nor is the leaf served alone while the rest is still coming.
TEST_F(AdmissionServer, CertificateChainWrittenInSlowPiecesIsLoadedOnlyWhenWhole) {
  start();
  const std::string old_serial = certificate_serial(cert_dir_ / "tls.crt");
  // The new pair is made aside from the same CA; its tls.crt is the chain leaf + CA.
  const fs::path aside = dir_.path() / "aside";
  fs::create_directories(aside);
  fs::copy_file(cert_dir_ / "ca.crt", aside / "ca.crt");
  fs::copy_file(cert_dir_ / "ca.key", aside / "ca.key");
  ASSERT_FALSE(generate_certs(aside).empty());
  const std::string new_serial = certificate_serial(aside / "tls.crt");
  ASSERT_NE(new_serial, old_serial);
  const std::string leaf = read_text(aside / "tls.crt");
  const std::string ca = read_text(aside / "ca.crt");
  const std::string key = read_text(aside / "tls.key");
  ASSERT_FALSE(leaf.empty());
  ASSERT_FALSE(ca.empty());

  // The key in one go (written here, so its mtime is now), then the chain in six pieces
  // 150 ms apart: under the 300 ms settle time, and 750 ms in all, so at least one 500 ms
  // tick falls inside. Every piece but the last leaves a file that is broken (refused
  // if read) or holds the leaf alone (served without the CA if read).
  std::ofstream(cert_dir_ / "tls.key.new", std::ios::trunc) << key;
  fs::permissions(cert_dir_ / "tls.key.new", fs::perms::owner_read | fs::perms::owner_write);
  fs::rename(cert_dir_ / "tls.key.new", cert_dir_ / "tls.key");
  const std::string chain = leaf + ca;
  const std::vector<std::size_t> cuts{leaf.size() / 3, 2 * leaf.size() / 3, leaf.size(),
                                      leaf.size() + ca.size() / 3, leaf.size() + 2 * ca.size() / 3,
                                      chain.size()};
  // /readyz is watched from another thread, so a slow answer never stretches a gap.
  std::atomic<bool> writing{true};
  std::vector<unsigned> readiness;
  std::thread watcher([&] {
    while (writing) {
      readiness.push_back(http_get(server_->health_port(), "/readyz").status);
      std::this_thread::sleep_for(50ms);
    }
  });
  std::ofstream out(cert_dir_ / "tls.crt", std::ios::trunc);
  auto next = Clock::now();
  std::size_t written = 0;
  for (std::size_t i = 0; i < cuts.size(); ++i, next += 150ms) {
    std::this_thread::sleep_until(next);
    out << chain.substr(written, cuts[i] - written) << std::flush;
    written = cuts[i];
  }
  out.close();

  // Long enough for the settle time and several ticks; not cut short when the new serial
  // shows, since the leaf alone carries it too.
  std::this_thread::sleep_for(2s);
  writing = false;
  watcher.join();
  EXPECT_FALSE(readiness.empty());
  for (unsigned status : readiness) EXPECT_EQ(status, 200u);
  const std::string log = server_->log();
  EXPECT_EQ(log.find("certificate reload refused"), std::string::npos);
  // One reload, of the whole chain: neither a piece nor the leaf alone was ever loaded.
  EXPECT_EQ(count_of(log, "certificate reloaded"), 1u);
  TlsClient client(ca_file_);
  ASSERT_EQ(client.connect(server_->port()), "");
  EXPECT_EQ(client.peer_serial(), new_serial);
  EXPECT_EQ(client.request("POST", kValidateV1, admission_review({})).status, 200u);
  const CommandResult chain_shown = s_client("-showcerts");
  EXPECT_NE(chain_shown.output.find(" 1 s:CN = feast-admission development CA"), std::string::npos)
      << chain_shown.output;
  EXPECT_EQ(http_get(server_->health_port(), "/readyz").status, 200u);
}

TEST_F(AdmissionServer, OnlyTls12And13WithAeadCiphersAreAccepted) {
  start();
  // SECLEVEL=0 lets this client offer TLS 1.1 at all; the refusal must come from the server.
  const CommandResult tls11 = s_client("-tls1_1 -cipher 'DEFAULT@SECLEVEL=0'");
  EXPECT_NE(tls11.exit_code, 0);
  EXPECT_NE(tls11.output.find("alert protocol version"), std::string::npos) << tls11.output;

  const CommandResult tls12 = s_client("-tls1_2");
  EXPECT_EQ(tls12.exit_code, 0) << tls12.output;
  EXPECT_NE(tls12.output.find("New, TLSv1.2, Cipher is ECDHE-ECDSA-"), std::string::npos)
      << tls12.output;
  EXPECT_NE(tls12.output.find("Verify return code: 0 (ok)"), std::string::npos);

  const CommandResult tls13 = s_client("-tls1_3");
  EXPECT_EQ(tls13.exit_code, 0) << tls13.output;
  EXPECT_NE(tls13.output.find("New, TLSv1.3"), std::string::npos) << tls13.output;

  const CommandResult cbc = s_client("-tls1_2 -cipher ECDHE-ECDSA-AES128-SHA");
  EXPECT_NE(cbc.exit_code, 0);
  EXPECT_NE(cbc.output.find("alert handshake failure"), std::string::npos) << cbc.output;
}

TEST_F(AdmissionServer, AlpnSelectsHttp11AndRefusesAnOfferWithoutIt) {
  start();
  const CommandResult offered = s_client("-alpn h2,http/1.1");
  EXPECT_EQ(offered.exit_code, 0) << offered.output;
  EXPECT_NE(offered.output.find("ALPN protocol: http/1.1"), std::string::npos) << offered.output;

  const CommandResult not_offered = s_client("");
  EXPECT_EQ(not_offered.exit_code, 0) << not_offered.output;
  EXPECT_NE(not_offered.output.find("No ALPN negotiated"), std::string::npos)
      << not_offered.output;

  const CommandResult h2_only = s_client("-alpn h2");
  EXPECT_NE(h2_only.exit_code, 0);
  EXPECT_NE(h2_only.output.find("alert no application protocol"), std::string::npos)
      << h2_only.output;
  // The refused handshake harms nothing: curl (which offers h2 and http/1.1) is served.
  EXPECT_EQ(curl(kValidateV1, admission_review({})).first, 200);
}

TEST_F(AdmissionServer, StalledAndTricklingClientsAreCutAfterTheReadTimeout) {
  start({"--read-timeout", "1"});
  TlsClient stalled(ca_file_);
  ASSERT_EQ(stalled.connect(server_->port()), "");
  const auto started = Clock::now();
  ASSERT_TRUE(stalled.write_raw(std::string("POST ") + kValidateV1 + " HTTP/1.1\r\nHost: local"));

  TlsClient trickling(ca_file_);
  ASSERT_EQ(trickling.connect(server_->port()), "");
  ASSERT_TRUE(trickling.write_raw(std::string("POST ") + kValidateV1 +
                                  " HTTP/1.1\r\nHost: localhost\r\nContent-Type: "
                                  "application/json\r\nContent-Length: 1000\r\n\r\n"));

  // Meanwhile a normal client is served.
  TlsClient normal(ca_file_);
  ASSERT_EQ(normal.connect(server_->port()), "");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(normal.request("POST", kValidateV1, admission_review({})).status, 200u);
  }
  // 10 bytes every 200 ms would need 20 s for the whole body.
  bool trickle_cut = false;
  for (int i = 0; i < 15 && !trickle_cut; ++i) {
    std::this_thread::sleep_for(200ms);
    trickle_cut = !trickling.write_raw(std::string(10, ' '));
  }
  EXPECT_TRUE(stalled.wait_closed(4s));
  const auto stalled_for = Clock::now() - started;
  EXPECT_GE(stalled_for, 900ms);
  EXPECT_LT(stalled_for, 3500ms);
  EXPECT_TRUE(trickle_cut || trickling.wait_closed(2s));
  EXPECT_LT(Clock::now() - started, 4s);

  // A TCP client that never starts TLS is cut too.
  const auto silent = silent_connection_lifetime(server_->port(), 4s);
  EXPECT_GE(silent, 900ms);
  EXPECT_LT(silent, 3s);

  EXPECT_EQ(normal.connect(server_->port()), "");
  EXPECT_EQ(normal.request("POST", kValidateV1, admission_review({})).status, 200u);
}

TEST_F(AdmissionServer, SigtermFinishesTheRequestInFlightThenExitsZero) {
  start();
  TlsClient idle(ca_file_);
  ASSERT_EQ(idle.connect(server_->port()), "");
  ASSERT_EQ(idle.request("POST", kValidateV1, admission_review({})).status, 200u);

  ReviewSpec spec;
  spec.uid = "in-flight";
  const std::string body = admission_review(spec);
  const std::size_t half = body.size() / 2;
  TlsClient in_flight(ca_file_);
  ASSERT_EQ(in_flight.connect(server_->port()), "");
  ASSERT_TRUE(in_flight.write_raw(std::string("POST ") + kMutateV1 +
                                  " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                                  "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                                  body.substr(0, half)));
  std::this_thread::sleep_for(200ms);
  server_->signal(SIGTERM);

  unsigned readyz = 0;
  const auto deadline = Clock::now() + 2s;
  while (Clock::now() < deadline && (readyz = http_get(server_->health_port(), "/readyz").status) != 503) {
    std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(readyz, 503u);
  EXPECT_EQ(http_get(server_->health_port(), "/healthz").status, 200u);
  EXPECT_TRUE(server_->running());
  EXPECT_TRUE(idle.wait_closed(2s)) << "idle keep-alive connection not closed on shutdown";
  TlsClient late(ca_file_);
  EXPECT_NE(late.connect(server_->port()), "") << "new connection accepted while draining";

  ASSERT_TRUE(in_flight.write_raw(body.substr(half)));
  const HttpReply reply = in_flight.read_reply();
  EXPECT_EQ(reply.status, 200u);
  EXPECT_EQ(parse(reply.body)["response"]["uid"], "in-flight");
  EXPECT_EQ(reply.connection, "close");

  EXPECT_EQ(server_->wait_exit(5s), std::optional<int>(0));
  EXPECT_NE(server_->log().find("shutdown complete"), std::string::npos);
}

TEST_F(AdmissionServer, HealthzAndReadyzAnswer) {
  start();
  const HttpReply healthz = http_get(server_->health_port(), "/healthz");
  EXPECT_EQ(healthz.status, 200u);
  EXPECT_EQ(healthz.body, "ok\n");
  EXPECT_EQ(http_get(server_->health_port(), "/readyz").status, 200u);
  EXPECT_EQ(http_get(server_->health_port(), "/metricz").status, 404u);
}

TEST_F(AdmissionServer, NotReadyUntilAServingCertificateAppears) {
  cert_dir_ = dir_.path() / "empty";
  std::filesystem::create_directories(cert_dir_);
  start({}, /*wait_ready=*/false);
  ASSERT_NE(server_->port(), 0) << server_->log();
  EXPECT_EQ(http_get(server_->health_port(), "/healthz").status, 200u);
  EXPECT_EQ(http_get(server_->health_port(), "/readyz").status, 503u);
  TlsClient early(ca_file_);
  EXPECT_NE(early.connect(server_->port()), "");

  // The CA of the test is the one in dir_/certs: reuse it for the late certificate.
  std::filesystem::copy_file(dir_.path() / "certs" / "ca.crt", cert_dir_ / "ca.crt");
  std::filesystem::copy_file(dir_.path() / "certs" / "ca.key", cert_dir_ / "ca.key");
  ASSERT_FALSE(generate_certs(cert_dir_).empty());
  EXPECT_TRUE(server_->wait_ready(4s));
  TlsClient client(ca_file_);
  ASSERT_EQ(client.connect(server_->port()), "");
  EXPECT_EQ(client.request("POST", kValidateV1, admission_review({})).status, 200u);
}

TEST(FeastAdmissionCommand, VersionPrintsTheProjectVersion) {
  const CommandResult result = run_command("'" FEAST_ADMISSION_BINARY "' version");
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_EQ(result.output, "feast-admission " FEAST_VERSION "\n");
}

TEST(FeastAdmissionCommand, UnknownFlagIsAUsageError) {
  const CommandResult result = run_command("'" FEAST_ADMISSION_BINARY "' serve --no-such-flag");
  EXPECT_NE(result.exit_code, 0);
}

}  // namespace
}  // namespace feast::testing
