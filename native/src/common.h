// Shared by the addon's translation units: tensor handles, dtype names, error conversion.
#pragma once

#include <napi.h>
#include <ATen/ATen.h>
#include <ATen/core/ivalue.h>

#include <string>

namespace segface {

// A JS handle owns one at::Tensor reference (a tagged object wrapping it). free() drops the
// reference early; the finalizer frees the holder when the handle is garbage collected.
Napi::Value wrapTensor(Napi::Env env, at::Tensor t);
bool isTensorHandle(const Napi::Value& v);
// Throws a TypeError unless v is a tensor handle, an Error if it was freed.
const at::Tensor& unwrapTensor(const Napi::Value& v, const char* what);
// The wrapped tensor, or nullptr once freed.
at::Tensor* handleSlot(const Napi::Value& v, const char* what);

c10::ScalarType parseDtype(const std::string& name);
const char* dtypeName(c10::ScalarType t);

// libtorch's message without the C++ backtrace (and without "Exception raised from" lines).
std::string cleanMessage(const std::string& what);

Napi::Value ivalueToJs(Napi::Env env, const c10::IValue& v);
Napi::Value callOp(const Napi::CallbackInfo& info);
Napi::Value pickleLoad(const Napi::CallbackInfo& info);
// cuda_graph.cc: CUDA graph capture/replay, side streams, the cuDNN autotuner switch.
void registerCudaGraph(Napi::Env env, Napi::Object exports);

// torch.distributed (dist.cc): the `dist` object of the addon's exports.
Napi::Object initDist(Napi::Env env);

// Runs fn, turning libtorch / std exceptions into JS Errors (never an abort).
template <typename F>
Napi::Value guarded(const Napi::CallbackInfo& info, F fn) {
  Napi::Env env = info.Env();
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10::Error& e) {
    throw Napi::Error::New(env, cleanMessage(e.what_without_backtrace()));
  } catch (const std::exception& e) {
    throw Napi::Error::New(env, cleanMessage(e.what()));
  }
}

}  // namespace segface
