#include "store_types.h"

#include <algorithm>
#include <sstream>

namespace feast {
namespace {

std::vector<std::string> words(std::string_view text) {
  std::istringstream in{std::string(text)};
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// SPEC section 2, feast.dev/v1.
constexpr std::string_view kOnlineV1 =
    "snowflake.online redis datastore dynamodb bigtable postgres cassandra mysql hazelcast "
    "singlestore hbase elasticsearch qdrant couchbase.online milvus hybrid mongodb aerospike "
    "scylladb";
constexpr std::string_view kOfflineV1 =
    "snowflake.offline bigquery redshift spark postgres trino athena mssql couchbase.offline "
    "clickhouse ray oracle hybrid";
constexpr std::string_view kRegistryV1 = "sql snowflake.registry";
// feast.dev/v1alpha1: the same but the offline list has no oracle.
constexpr std::string_view kOfflineV1alpha1 =
    "snowflake.offline bigquery redshift spark postgres trino athena mssql couchbase.offline "
    "clickhouse ray hybrid";

struct Tables {
  std::vector<std::string> online = words(kOnlineV1);
  std::vector<std::string> offline_v1 = words(kOfflineV1);
  std::vector<std::string> offline_v1alpha1 = words(kOfflineV1alpha1);
  std::vector<std::string> registry = words(kRegistryV1);
  std::vector<std::string> offline_file = words("file dask duckdb");
  std::vector<std::string> access = words("ReadWriteOnce ReadOnlyMany ReadWriteMany ReadWriteOncePod");
  std::vector<std::string> cache_modes = words("none sync thread");
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

std::string_view component_name(Component c) {
  switch (c) {
    case Component::Online: return "online";
    case Component::Offline: return "offline";
    case Component::Registry: return "registry";
  }
  return "online";
}

bool is_known_version(std::string_view version) {
  return version == "v1" || version == "v1alpha1";
}

const std::vector<std::string>& db_store_types(std::string_view version, Component c) {
  const Tables& t = tables();
  switch (c) {
    case Component::Online: return t.online;
    case Component::Offline: return version == "v1alpha1" ? t.offline_v1alpha1 : t.offline_v1;
    case Component::Registry: return t.registry;
  }
  return t.online;
}

const std::vector<std::string>& offline_file_types() { return tables().offline_file; }
const std::vector<std::string>& pvc_access_modes() { return tables().access; }
const std::vector<std::string>& registry_cache_modes() { return tables().cache_modes; }

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

}  // namespace feast
