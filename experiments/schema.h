// The record schema (schema/record.schema.json, JSON Schema draft 7), built
// into the binary, and a validator for the part of draft 7 it uses: type,
// enum, const, required, properties, additionalProperties, items, minimum,
// maximum, exclusiveMinimum, minLength, pattern, allOf, if/then/else and
// local $ref. tools/rclab_records.py validates the same file with
// python3-jsonschema; tests/records_test.cpp and tests/tools_test.py run
// both on the same fixtures (tests/fixtures/records/).
//
// Hand-written because Debian ships no C++ JSON Schema library; the schema's
// $comment lists the keywords so that it stays within what this supports.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace rclab::experiments {

const nlohmann::json& record_schema();

// Why `record` does not follow the schema — "field.path: what" — or empty.
std::string schema_problem(const nlohmann::json& record);

// The record's point: the values of the schema's "x-rclab-point-key" fields,
// in its order (objects in canonical form). Two records are runs of one
// point exactly when their keys are equal; tools/rclab_records.py's
// point_key reads the same list.
std::vector<std::string> point_key(const nlohmann::json& record);
// The names of those fields, in the same order ("settings", "machine/host_id").
std::vector<std::string> point_key_fields();

}  // namespace rclab::experiments
