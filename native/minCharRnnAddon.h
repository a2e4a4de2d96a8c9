/* min-char-rnn's fused model as a Node-API class (native/minCharRnnAddon.cc). */
#pragma once
#include <node_api.h>

namespace charlab {

/** Defines the class MinCharRnn on `exports`; false (with a JavaScript error pending) if it cannot. */
bool define_min_char_rnn(napi_env env, napi_value exports);

}  // namespace charlab
