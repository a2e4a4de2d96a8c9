/* Small Node-API helpers shared by the addon's files (addon.cc, minCharRnnAddon.cc). */
#pragma once
#include <node_api.h>

#include <string>

namespace charlab {

inline napi_value undefined(napi_env env) {
  napi_value u;
  napi_get_undefined(env, &u);
  return u;
}

inline napi_value number(napi_env env, double v) {
  napi_value r;
  napi_create_double(env, v, &r);
  return r;
}

/** A short string argument ("" if it is not one). */
inline std::string str_arg(napi_env env, napi_value v) {
  char buf[64];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, buf, sizeof buf, &len) != napi_ok) return "";
  return std::string(buf, len);
}

}  // namespace charlab
