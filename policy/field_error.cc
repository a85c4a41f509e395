#include "field_error.h"

#include <set>

namespace feast {

FieldPath FieldPath::child(std::string_view name) const& { return FieldPath(*this).child(name); }

FieldPath FieldPath::child(std::string_view name) && {
  if (!text_.empty()) text_ += '.';
  text_ += name;
  return std::move(*this);
}

FieldPath FieldPath::index(std::size_t i) const& { return FieldPath(*this).index(i); }

FieldPath FieldPath::index(std::size_t i) && {
  text_ += '[';
  text_ += std::to_string(i);
  text_ += ']';
  return std::move(*this);
}

std::string_view reason_type(FieldReason reason) {
  switch (reason) {
    case FieldReason::NotSupported: return "FieldValueNotSupported";
    case FieldReason::Required: return "FieldValueRequired";
    case FieldReason::Invalid: return "FieldValueInvalid";
    case FieldReason::NotFound: return "FieldValueNotFound";
    case FieldReason::Forbidden: return "FieldValueForbidden";
  }
  return "FieldValueInvalid";
}

namespace {

std::string_view reason_words(FieldReason reason) {
  switch (reason) {
    case FieldReason::NotSupported: return "Unsupported value";
    case FieldReason::Required: return "Required value";
    case FieldReason::Invalid: return "Invalid value";
    case FieldReason::NotFound: return "Not found";
    case FieldReason::Forbidden: return "Forbidden";
  }
  return "Invalid value";
}

// Go's %q for the ASCII-and-UTF-8 strings we meet: JSON string escaping is the same
// for everything but a few control characters, which is close enough for messages.
std::string quote(const std::string& s) { return nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }

std::string print_value(const nlohmann::json& v) {
  if (v.is_null()) return "\"null\"";
  if (v.is_string()) return quote(v.get_ref<const std::string&>());
  if (v.is_number() || v.is_boolean()) return v.dump();
  return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string FieldError::body() const {
  std::string s(reason_words(reason));
  if (reason != FieldReason::Required && reason != FieldReason::Forbidden) {
    s += ": ";
    s += print_value(value);
  }
  if (!detail.empty()) {
    s += ": ";
    s += detail;
  }
  return s;
}

std::string FieldError::text() const { return field + ": " + body(); }

bool FieldError::same_violation(const FieldError& other) const {
  return rule == other.rule && field == other.field && reason == other.reason &&
         value == other.value;
}

FieldError not_supported(const FieldPath& path, const nlohmann::json& value,
                         const std::vector<std::string>& supported, std::string rule) {
  std::string detail = "supported values: ";
  for (std::size_t i = 0; i < supported.size(); ++i) {
    if (i) detail += ", ";
    detail += quote(supported[i]);
  }
  return {FieldReason::NotSupported, path.str(), value, std::move(detail), std::move(rule)};
}

FieldError required(const FieldPath& path, std::string detail, std::string rule) {
  return {FieldReason::Required, path.str(), nullptr, std::move(detail), std::move(rule)};
}

FieldError invalid(const FieldPath& path, const nlohmann::json& value, std::string detail,
                   std::string rule) {
  return {FieldReason::Invalid, path.str(), value, std::move(detail), std::move(rule)};
}

FieldError not_found(const FieldPath& path, const nlohmann::json& value, std::string detail,
                     std::string rule) {
  return {FieldReason::NotFound, path.str(), value, std::move(detail), std::move(rule)};
}

FieldError forbidden(const FieldPath& path, std::string detail, std::string rule) {
  return {FieldReason::Forbidden, path.str(), nullptr, std::move(detail), std::move(rule)};
}

std::string aggregate_message(const ErrorList& errors) {
  if (errors.size() == 1) return errors.front().text();
  std::string out = "[";
  std::set<std::string> seen;
  bool first = true;
  for (const auto& e : errors) {
    std::string t = e.text();
    if (!seen.insert(t).second) continue;
    if (!first) out += ", ";
    out += t;
    first = false;
  }
  return out + "]";
}

std::string_view json_type_name(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::object: return "object";
    case nlohmann::json::value_t::array: return "array";
    case nlohmann::json::value_t::string: return "string";
    case nlohmann::json::value_t::boolean: return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned: return "integer";
    case nlohmann::json::value_t::number_float: return "number";
    case nlohmann::json::value_t::null: return "null";
    default: return "unknown";
  }
}

}  // namespace feast
