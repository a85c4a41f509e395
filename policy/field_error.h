// FieldPath and FieldError: validation errors as data, formatted the way the Kubernetes
// API server formats them (apimachinery's field.Error and ErrorList), so that kubectl
// output looks native. Every rule reports through these types; formatting lives here only.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace feast {

// A dotted field path such as spec.services.onlineStore.persistence.pvc.create.accessModes[0].
class FieldPath {
 public:
  FieldPath() = default;
  explicit FieldPath(std::string_view root) : text_(root) {}
  // A path one step below. On a temporary (or std::move(path)) the step is appended in
  // place: the chains of the rules build one string, not one per step.
  FieldPath child(std::string_view name) const&;
  FieldPath child(std::string_view name) &&;
  FieldPath index(std::size_t i) const&;
  FieldPath index(std::size_t i) &&;
  const std::string& str() const { return text_; }
  bool operator==(const FieldPath&) const = default;

 private:
  std::string text_;
};

enum class FieldReason { NotSupported, Required, Invalid, NotFound, Forbidden };

// The Kubernetes cause type, e.g. "FieldValueNotSupported".
std::string_view reason_type(FieldReason reason);

struct FieldError {
  FieldReason reason = FieldReason::Invalid;
  std::string field;
  nlohmann::json value;      // the offending value; ignored for Required and Forbidden
  std::string detail;
  std::string rule;          // the SPEC rule that produced it, e.g. "V4"

  // "Unsupported value: \"mysqll\": supported values: \"redis\", ..." (field.Error.ErrorBody)
  std::string body() const;
  // "<field>: <body>" (field.Error.Error)
  std::string text() const;
  // Same rule, same field, same value: the identity used by UPDATE ratcheting.
  bool same_violation(const FieldError& other) const;
};

using ErrorList = std::vector<FieldError>;

FieldError not_supported(const FieldPath& path, const nlohmann::json& value,
                         const std::vector<std::string>& supported, std::string rule);
FieldError required(const FieldPath& path, std::string detail, std::string rule);
FieldError invalid(const FieldPath& path, const nlohmann::json& value, std::string detail,
                   std::string rule);
FieldError not_found(const FieldPath& path, const nlohmann::json& value, std::string detail,
                     std::string rule);
FieldError forbidden(const FieldPath& path, std::string detail, std::string rule);

// The aggregate that apimachinery's utilerrors.NewAggregate prints: one error as is,
// several as "[e1, e2]" (duplicates dropped).
std::string aggregate_message(const ErrorList& errors);

// JSON type name as the API server's schema validation names it: "object", "string", ...
std::string_view json_type_name(const nlohmann::json& value);

}  // namespace feast
