// CUDA graphs for inference (at::cuda::CUDAGraph) and the cuDNN autotuner switch. JS drives a
// capture: graphCaptureBegin() moves the thread onto a side stream and starts capturing, JS runs
// the forward through the usual op calls (each one enqueues on the current stream, so it is
// recorded instead of run), graphCaptureEnd() closes the graph; graphReplay() then launches the
// whole forward with one call. streamEnter()/streamExit() run the warm-up on the same kind of
// side stream, as torch.cuda.graphs asks. Compiled in only where the addon was built against a
// libtorch with CUDA and the CUDA headers (SEGFACE_CUDA_GRAPHS); elsewhere the same functions
// exist and throw, and cudaGraphsCompiled is false, so the JS side needs no second interface.
#include "common.h"

#include <ATen/Context.h>

#if defined(SEGFACE_CUDA_GRAPHS)
#include <ATen/cuda/CUDAGraph.h>
#include <c10/core/Event.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/cuda/CUDAStream.h>
#endif

#include <memory>
#include <vector>

namespace segface {

namespace {

#if defined(SEGFACE_CUDA_GRAPHS)

// One entered side stream: the guard restores the previous stream when popped.
struct SideStream {
  c10::cuda::CUDAStream previous;
  c10::cuda::CUDAStream side;
  std::unique_ptr<c10::cuda::CUDAStreamGuard> guard;
};
std::vector<SideStream> g_streams;

// Makes `waiter` wait for what is queued on `on` so far (stream.wait_stream in Python).
void waitFor(const c10::cuda::CUDAStream& waiter, const c10::cuda::CUDAStream& on) {
  c10::Event ev(c10::DeviceType::CUDA);
  ev.record(on.unwrap());
  ev.block(waiter.unwrap());
}

void enterSide(int device) {
  c10::cuda::CUDAGuard dev(static_cast<c10::DeviceIndex>(device));
  auto previous = c10::cuda::getCurrentCUDAStream(static_cast<c10::DeviceIndex>(device));
  auto side = c10::cuda::getStreamFromPool(false, static_cast<c10::DeviceIndex>(device));
  waitFor(side, previous);
  g_streams.push_back({previous, side, std::make_unique<c10::cuda::CUDAStreamGuard>(side)});
}

void exitSide() {
  if (g_streams.empty()) return;
  SideStream s = std::move(g_streams.back());
  g_streams.pop_back();
  s.guard.reset();
  waitFor(s.previous, s.side);
}

struct GraphHolder {
  std::unique_ptr<at::cuda::CUDAGraph> graph = std::make_unique<at::cuda::CUDAGraph>();
  bool capturing = false;
  bool ready = false;
};

const napi_type_tag kGraphTag = {0x6a1f0c3b9e2d4a77ULL, 0xb41c52e07d9f3e18ULL};

GraphHolder* unwrapGraph(const Napi::Value& v) {
  if (!v.IsExternal()) throw Napi::TypeError::New(v.Env(), "graph must be a CUDA graph handle");
  auto ext = v.As<Napi::External<GraphHolder>>();
  if (!ext.CheckTypeTag(&kGraphTag)) throw Napi::TypeError::New(v.Env(), "graph must be a CUDA graph handle");
  return ext.Data();
}

Napi::Value StreamEnter(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    enterSide(info[0].As<Napi::Number>().Int32Value());
    return Napi::Number::New(info.Env(), static_cast<double>(g_streams.size()));
  });
}

Napi::Value StreamExit(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    exitSide();
    return Napi::Number::New(info.Env(), static_cast<double>(g_streams.size()));
  });
}

// graphCaptureBegin(deviceIndex) → graph handle; the thread is on a side stream, capturing.
Napi::Value GraphCaptureBegin(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    int device = info[0].As<Napi::Number>().Int32Value();
    auto* holder = new GraphHolder();
    enterSide(device);
    try {
      holder->graph->capture_begin();
    } catch (...) {
      exitSide();
      delete holder;
      throw;
    }
    holder->capturing = true;
    auto ext = Napi::External<GraphHolder>::New(info.Env(), holder, [](Napi::Env, GraphHolder* h) { delete h; });
    ext.TypeTag(&kGraphTag);
    return ext;
  });
}

// graphCaptureEnd(graph, ok): ok=false abandons a capture whose forward threw (the graph is
// reset, its memory pool released); either way the thread is back on its previous stream.
Napi::Value GraphCaptureEnd(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    GraphHolder* h = unwrapGraph(info[0]);
    bool ok = info[1].ToBoolean().Value();
    if (!h->capturing) throw Napi::Error::New(info.Env(), "graphCaptureEnd: the graph is not capturing");
    h->capturing = false;
    try {
      h->graph->capture_end();
    } catch (...) {
      exitSide();
      h->graph->reset();
      if (ok) throw;
      return Napi::Boolean::New(info.Env(), false);
    }
    exitSide();
    if (!ok) {
      h->graph->reset();
      return Napi::Boolean::New(info.Env(), false);
    }
    h->ready = true;
    return Napi::Boolean::New(info.Env(), true);
  });
}

// Launches the captured work on the current stream: the static output is overwritten in place.
Napi::Value GraphReplay(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    GraphHolder* h = unwrapGraph(info[0]);
    if (!h->ready) throw Napi::Error::New(info.Env(), "graphReplay: the graph was not captured (or was reset)");
    h->graph->replay();
    return info.Env().Undefined();
  });
}

// Frees the graph and its private memory pool now (the output tensors must not be read again).
Napi::Value GraphReset(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    GraphHolder* h = unwrapGraph(info[0]);
    if (h->capturing) throw Napi::Error::New(info.Env(), "graphReset: the graph is still capturing");
    h->graph->reset();
    h->ready = false;
    return info.Env().Undefined();
  });
}

constexpr bool kGraphsCompiled = true;
#define GRAPHS_ONLY(fn) fn
#else

// Without CUDA graphs every entry point exists and throws this, so the JS side needs no second
// interface; cudaGraphsCompiled says which build it is.
Napi::Value NoGraphs(const Napi::CallbackInfo& info) {
  throw Napi::Error::New(info.Env(), "CUDA graphs are not compiled into this addon (it was built against a libtorch without CUDA, or without the CUDA headers)");
}

constexpr bool kGraphsCompiled = false;
#define GRAPHS_ONLY(fn) NoGraphs
#endif

// setCudnnBenchmark(on) → previous value (torch.backends.cudnn.benchmark).
Napi::Value SetCudnnBenchmark(const Napi::CallbackInfo& info) {
  bool prev = at::globalContext().benchmarkCuDNN();
  at::globalContext().setBenchmarkCuDNN(info[0].ToBoolean().Value());
  return Napi::Boolean::New(info.Env(), prev);
}

}  // namespace

void registerCudaGraph(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaGraphsCompiled", Napi::Boolean::New(env, kGraphsCompiled));
  exports.Set("streamEnter", Napi::Function::New(env, GRAPHS_ONLY(StreamEnter), "streamEnter"));
  exports.Set("streamExit", Napi::Function::New(env, GRAPHS_ONLY(StreamExit), "streamExit"));
  exports.Set("graphCaptureBegin", Napi::Function::New(env, GRAPHS_ONLY(GraphCaptureBegin), "graphCaptureBegin"));
  exports.Set("graphCaptureEnd", Napi::Function::New(env, GRAPHS_ONLY(GraphCaptureEnd), "graphCaptureEnd"));
  exports.Set("graphReplay", Napi::Function::New(env, GRAPHS_ONLY(GraphReplay), "graphReplay"));
  exports.Set("graphReset", Napi::Function::New(env, GRAPHS_ONLY(GraphReset), "graphReset"));
  exports.Set("setCudnnBenchmark", Napi::Function::New(env, SetCudnnBenchmark, "setCudnnBenchmark"));
}

}  // namespace segface
