// Memory benchmark (issue 3): 10,000 Secrets of 5 keys each, reduced into the SecretIndex.
// Prints the RSS growth and exits non-zero above 20 MiB.
#include <malloc.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "secret_facts.h"

namespace {

long rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

}  // namespace

int main() {
  constexpr int kSecrets = 10000;
  constexpr int kKeys = 5;
  malloc_trim(0);
  long before = rss_bytes();
  std::size_t heap_before = mallinfo2().uordblks;
  feast::SecretIndex index;
  for (int i = 0; i < kSecrets; ++i) {
    std::map<std::string, std::string> values;
    std::string n = std::to_string(i);
    values["redis"] = "connection_string: redis-" + n + ".feast.svc:6379,password=${REDIS_PASSWORD}\n"
                      "key_ttl_seconds: 3600\n";
    values["sql"] = "path: postgresql+psycopg://feast:${POSTGRES_PASSWORD}@pg-" + n +
                    ".feast.svc:5432/feast\ncache_ttl_seconds: 60\nsqlalchemy_config_kwargs:\n"
                    "  echo: false\n  pool_pre_ping: true\n";
    values["postgres"] = "type: postgres\nhost: pg\nport: 5432\ndatabase: feast\nuser: feast\n"
                         "password: ${PG_PASSWORD}\n";
    values["password"] = "s3cr3t-" + n;
    values["ca.crt"] = std::string(1200, 'A');
    index.upsert("ns-" + std::to_string(i % 50), "feast-stores-" + n,
                 std::make_shared<const feast::SecretFacts>(feast::reduce_secret(values)));
  }
  index.mark_synced();
  malloc_trim(0);
  long after = rss_bytes();
  std::size_t heap_after = mallinfo2().uordblks;
  double rss_mib = (after - before) / 1048576.0;
  double heap_mib = static_cast<double>(heap_after - heap_before) / 1048576.0;
  std::printf("secret index: %zu Secrets x %d keys: RSS +%.2f MiB, heap in use +%.2f MiB "
              "(limit 20 MiB)\n",
              index.size(), kKeys, rss_mib, heap_mib);
#if defined(__SANITIZE_ADDRESS__)
  std::printf("(AddressSanitizer build: figures include its shadow memory; not judged)\n");
  return 0;
#else
  return rss_mib < 20.0 && heap_mib < 20.0 ? 0 : 1;
#endif
}
