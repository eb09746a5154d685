// torch.distributed for the addon: libtorch's own c10d pieces, bound as one process group per
// process (what torch.distributed's default group is). The store is a TCPStore at
// MASTER_ADDR:MASTER_PORT (rank 0 hosts it, or torchrun's agent does) or a FileStore; the group
// is Gloo (CPU) or NCCL (CUDA builds whose libtorch has it); gradients are averaged by c10d's
// Reducer, the C++ half of DistributedDataParallel (buckets all-reduced while backward runs,
// unused parameters found from the forward outputs).
//
// A heartbeat thread bumps a per-rank counter in the store every second, so that when a
// collective fails the survivors can say which rank stopped (deadPeers).
#include "common.h"

#include <torch/version.h>

// Written against libtorch 1.13's c10d (Debian's libtorch-dev). From 2.0 the process groups are
// Backends behind a ProcessGroup and the Reducer's constructor changed; until that is ported and
// built, other versions get a `dist` whose calls say so, and the rest of the addon builds as before.
#if TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR == 13
#define SEGFACE_DIST 1
#endif

#if defined(SEGFACE_DIST)
#include <ATen/core/grad_mode.h>
#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/comm.hpp>
#include <torch/csrc/distributed/c10d/reducer.hpp>
#if defined(SEGFACE_WITH_NCCL)
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#endif

namespace segface {

#if defined(SEGFACE_DIST)
namespace {

using Ms = std::chrono::milliseconds;

struct Group {
  int rank = 0;
  int size = 1;
  std::string backend;
  Ms timeout{0};
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroup> pg;
  std::unique_ptr<c10d::Reducer> reducer;
  // Heartbeat: its own store connection, so a long wait() on the main one never delays a beat.
  c10::intrusive_ptr<c10d::Store> beatStore;
  std::thread beat;
  std::mutex beatMu;
  std::condition_variable beatCv;
  bool beatStop = false;
};

std::unique_ptr<Group> g_group;
constexpr Ms kBeat{1000};

std::string beatKey(int rank) { return "segface/heartbeat/" + std::to_string(rank); }

Group& group(Napi::Env env) {
  if (!g_group) throw Napi::Error::New(env, "torch.distributed is not initialised (call dist.init first)");
  return *g_group;
}

std::vector<at::Tensor> tensorList(const Napi::Value& v, const char* what) {
  if (!v.IsArray()) throw Napi::TypeError::New(v.Env(), std::string(what) + " must be an array of tensors");
  auto a = v.As<Napi::Array>();
  std::vector<at::Tensor> out;
  out.reserve(a.Length());
  for (uint32_t i = 0; i < a.Length(); i++) out.push_back(unwrapTensor(a.Get(i), what));
  return out;
}

std::string str(const Napi::Object& o, const char* key, const std::string& dflt = "") {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : dflt;
}

int64_t num(const Napi::Object& o, const char* key, int64_t dflt) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int64Value() : dflt;
}

bool isLoopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

void stopBeat(Group& g) {
  {
    std::lock_guard<std::mutex> lock(g.beatMu);
    g.beatStop = true;
  }
  g.beatCv.notify_all();
  if (g.beat.joinable()) g.beat.join();
}

void startBeat(Group& g) {
  if (!g.beatStore) return;
  g.beat = std::thread([&g]() {
    std::unique_lock<std::mutex> lock(g.beatMu);
    while (!g.beatStop) {
      lock.unlock();
      try {
        g.beatStore->add(beatKey(g.rank), 1);
      } catch (...) {
        return;  // the store is gone: nothing left to tell
      }
      lock.lock();
      g.beatCv.wait_for(lock, kBeat, [&g] { return g.beatStop; });
    }
  });
}

void destroyGroup() {
  if (!g_group) return;
  Group& g = *g_group;
  stopBeat(g);
  // The reducer unhooks itself from the parameters' grad accumulators; then the group's worker
  // threads stop, and the store connection closes last.
  try { g.reducer.reset(); } catch (...) {}
  g.pg.reset();
  g.beatStore.reset();
  g.store.reset();
  g_group.reset();
}

// init({backend, rank, worldSize, masterAddr, masterPort, timeoutMs, file?, agentStore?, attempt?})
Napi::Value Init(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (g_group) throw Napi::Error::New(env, "torch.distributed is already initialised in this process");
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "dist.init: options must be an object");
    auto o = info[0].As<Napi::Object>();
    auto g = std::make_unique<Group>();
    g->rank = static_cast<int>(num(o, "rank", 0));
    g->size = static_cast<int>(num(o, "worldSize", 1));
    g->backend = str(o, "backend", "gloo");
    g->timeout = Ms(num(o, "timeoutMs", 1800000));
    std::string file = str(o, "file");
    std::string host = str(o, "masterAddr", "127.0.0.1");
    auto port = static_cast<uint16_t>(num(o, "masterPort", 29500));
    bool agentStore = o.Get("agentStore").ToBoolean().Value();

    if (!file.empty()) {
      g->store = c10::make_intrusive<c10d::FileStore>(file, g->size);
    } else {
      // Under torchrun the agent already serves MASTER_PORT and every worker is a client, with
      // keys under /worker/attempt_<restart count> (torch/distributed/rendezvous.py does this).
      c10d::TCPStoreOptions so;
      so.port = port;
      so.isServer = !agentStore && g->rank == 0;
      so.numWorkers = static_cast<size_t>(g->size);
      so.waitWorkers = !agentStore;
      so.timeout = g->timeout;
      so.multiTenant = false;
      c10::intrusive_ptr<c10d::Store> tcp = c10::make_intrusive<c10d::TCPStore>(host, so);
      c10d::TCPStoreOptions bo = so;
      bo.isServer = false;
      bo.waitWorkers = false;
      bo.numWorkers = c10::nullopt;
      c10::intrusive_ptr<c10d::Store> beat = c10::make_intrusive<c10d::TCPStore>(host, bo);
      if (agentStore) {
        std::string prefix = "/worker/attempt_" + str(o, "attempt", "0");
        tcp = c10::make_intrusive<c10d::PrefixStore>(prefix, tcp);
        beat = c10::make_intrusive<c10d::PrefixStore>(prefix, beat);
      }
      g->store = tcp;
      g->beatStore = beat;
    }

    if (g->backend == "gloo") {
#if defined(USE_C10D_GLOO)
      auto opts = c10d::ProcessGroupGloo::Options::create(g->timeout);
      const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");
      if (ifname && *ifname) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
      } else if (isLoopback(host) || !file.empty()) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      opts->threads = 2;
      g->pg = c10::make_intrusive<c10d::ProcessGroupGloo>(g->store, g->rank, g->size, opts);
#else
      throw Napi::Error::New(env, "backend gloo: the addon was built without Gloo's headers (apt-get install libgloo-dev, then npm run build:native)");
#endif
    } else if (g->backend == "nccl") {
#if defined(SEGFACE_WITH_NCCL)
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = g->timeout;
      g->pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(g->store, g->rank, g->size, opts);
#else
      throw Napi::Error::New(env, "backend nccl: this addon was built against a libtorch without NCCL (build it against a CUDA PyTorch: LIBTORCH=python npm run build:native)");
#endif
    } else {
      throw Napi::Error::New(env, "unknown backend '" + g->backend + "' (gloo or nccl)");
    }
    g_group = std::move(g);
    startBeat(*g_group);
    return env.Undefined();
  });
}

void waitWork(Group& g, const c10::intrusive_ptr<c10d::Work>& w) { w->wait(g.timeout); }

c10d::ReduceOp parseOp(Napi::Env env, const std::string& op) {
  if (op == "sum") return c10d::ReduceOp::SUM;
  if (op == "max") return c10d::ReduceOp::MAX;
  if (op == "min") return c10d::ReduceOp::MIN;
  if (op == "product") return c10d::ReduceOp::PRODUCT;
  throw Napi::Error::New(env, "unknown reduce op '" + op + "'");
}

// allReduce([tensors], op): in place, one collective per tensor (as dist.all_reduce).
Napi::Value AllReduce(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    auto ts = tensorList(info[0], "allReduce");
    c10d::AllreduceOptions opts;
    opts.reduceOp = parseOp(info.Env(), info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "sum");
    opts.timeout = g.timeout;
    at::NoGradGuard noGrad;
    for (auto& t : ts) {
      std::vector<at::Tensor> one{t};
      waitWork(g, g.pg->allreduce(one, opts));
    }
    return info.Env().Undefined();
  });
}

// broadcast([tensors], root): coalesced into 256 MiB buffers (DDP's _sync_module_states).
Napi::Value Broadcast(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    auto ts = tensorList(info[0], "broadcast");
    int root = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 0;
    // Parameters are leaves that require grad: overwriting them is not an autograd operation.
    at::NoGradGuard noGrad;
    c10d::broadcast_coalesced(g.pg, ts, 256u << 20, root);
    return info.Env().Undefined();
  });
}

Napi::Value Barrier(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    c10d::BarrierOptions opts;
    opts.timeout = g.timeout;
    waitWork(g, g.pg->barrier(opts));
    return info.Env().Undefined();
  });
}

Napi::Value StoreSet(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    std::string v = info[1].As<Napi::String>().Utf8Value();
    g.store->set(info[0].As<Napi::String>().Utf8Value(), std::vector<uint8_t>(v.begin(), v.end()));
    return info.Env().Undefined();
  });
}

// storeGet(key): waits for the key up to the group's timeout.
Napi::Value StoreGet(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    auto v = g.store->get(info[0].As<Napi::String>().Utf8Value());
    return Napi::String::New(info.Env(), std::string(v.begin(), v.end()));
  });
}

Napi::Value StoreAdd(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    int64_t r = g.store->add(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int64Value());
    return Napi::Number::New(info.Env(), static_cast<double>(r));
  });
}

// deadPeers(waitMs): the ranks whose heartbeat did not advance over waitMs. Throws when the store
// itself is unreachable (its host, rank 0 or torchrun's agent, is gone).
Napi::Value DeadPeers(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Group& g = group(env);
    if (!g.beatStore) return Napi::Array::New(env, 0);
    Ms wait(info[0].IsNumber() ? info[0].As<Napi::Number>().Int64Value() : 3 * kBeat.count());
    auto read = [&](int r) -> int64_t { return g.beatStore->add(beatKey(r), 0); };
    std::vector<int64_t> before(g.size);
    for (int r = 0; r < g.size; r++) before[r] = read(r);
    std::this_thread::sleep_for(wait);
    std::vector<int> dead;
    for (int r = 0; r < g.size; r++) {
      if (r != g.rank && read(r) == before[r]) dead.push_back(r);
    }
    auto out = Napi::Array::New(env, dead.size());
    for (size_t i = 0; i < dead.size(); i++) out.Set(i, Napi::Number::New(env, dead[i]));
    return out;
  });
}

// ddpCreate([params], bucketCapBytes, findUnused): DistributedDataParallel's reducer over these
// parameters, with the bucket layout Python's DDP computes (a 1 MiB first bucket, then
// bucketCapBytes each, in reverse parameter order so the first buckets fill first in backward).
// Parameters must already be equal on every rank (broadcast first); their shapes are checked.
Napi::Value DdpCreate(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    auto params = tensorList(info[0], "ddpCreate");
    auto cap = static_cast<size_t>(info[1].As<Napi::Number>().Int64Value());
    bool findUnused = info[2].ToBoolean().Value();
    constexpr size_t kFirstBucket = 1u << 20;  // dist._DEFAULT_FIRST_BUCKET_BYTES
    c10d::verify_params_across_processes(g.pg, params, c10::nullopt);
    std::vector<bool> sparse(params.size(), false);
    auto assignment = c10d::compute_bucket_assignment_by_size(params, {kFirstBucket, cap}, sparse);
    auto buckets = std::get<0>(assignment);
    auto limits = std::get<1>(assignment);
    std::reverse(buckets.begin(), buckets.end());
    std::reverse(limits.begin(), limits.end());
    g.reducer.reset();
    g.reducer = std::make_unique<c10d::Reducer>(params, buckets, limits, g.pg, sparse, static_cast<int64_t>(cap), findUnused,
                                                /*gradient_as_bucket_view=*/false, std::unordered_map<size_t, std::string>(),
                                                static_cast<int64_t>(kFirstBucket));
    return Napi::Number::New(info.Env(), static_cast<double>(buckets.size()));
  });
}

// What DDP.forward does before running the module: start the iteration, and after the first
// one, re-bucket in the order gradients actually became ready (rank 0's order, broadcast).
Napi::Value DdpBeforeForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    if (!g.reducer) throw Napi::Error::New(info.Env(), "ddpBeforeForward: no reducer (ddpCreate first)");
    g.reducer->prepare_for_forward();
    return Napi::Boolean::New(info.Env(), g.reducer->rebuild_buckets());
  });
}

// ...and after: the next backward from these outputs all-reduces; parameters they do not reach
// are marked ready at once (find_unused_parameters).
Napi::Value DdpAfterForward(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Group& g = group(info.Env());
    if (!g.reducer) throw Napi::Error::New(info.Env(), "ddpAfterForward: no reducer (ddpCreate first)");
    g.reducer->prepare_for_backward(tensorList(info[0], "ddpAfterForward"));
    return info.Env().Undefined();
  });
}

Napi::Value Destroy(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    destroyGroup();
    return info.Env().Undefined();
  });
}

Napi::Value HasNccl(const Napi::CallbackInfo& info) {
#if defined(SEGFACE_WITH_NCCL)
  return Napi::Boolean::New(info.Env(), true);
#else
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

Napi::Object initDist(Napi::Env env) {
  auto d = Napi::Object::New(env);
  d.Set("init", Napi::Function::New(env, Init, "init"));
  d.Set("allReduce", Napi::Function::New(env, AllReduce, "allReduce"));
  d.Set("broadcast", Napi::Function::New(env, Broadcast, "broadcast"));
  d.Set("barrier", Napi::Function::New(env, Barrier, "barrier"));
  d.Set("storeSet", Napi::Function::New(env, StoreSet, "storeSet"));
  d.Set("storeGet", Napi::Function::New(env, StoreGet, "storeGet"));
  d.Set("storeAdd", Napi::Function::New(env, StoreAdd, "storeAdd"));
  d.Set("deadPeers", Napi::Function::New(env, DeadPeers, "deadPeers"));
  d.Set("ddpCreate", Napi::Function::New(env, DdpCreate, "ddpCreate"));
  d.Set("ddpBeforeForward", Napi::Function::New(env, DdpBeforeForward, "ddpBeforeForward"));
  d.Set("ddpAfterForward", Napi::Function::New(env, DdpAfterForward, "ddpAfterForward"));
  d.Set("destroy", Napi::Function::New(env, Destroy, "destroy"));
  d.Set("hasNccl", Napi::Function::New(env, HasNccl, "hasNccl"));
  // Join the heartbeat thread before the process tears libtorch down.
  napi_add_env_cleanup_hook(env, [](void*) { destroyGroup(); }, nullptr);
  return d;
}

#else

Napi::Object initDist(Napi::Env env) {
  auto d = Napi::Object::New(env);
  auto unsupported = [](const Napi::CallbackInfo& info) -> Napi::Value {
    throw Napi::Error::New(info.Env(), "distributed training is built for libtorch 1.13 (Debian's libtorch-dev); this addon was built against libtorch " TORCH_VERSION);
  };
  for (const char* name : {"init", "allReduce", "broadcast", "barrier", "storeSet", "storeGet", "storeAdd", "deadPeers", "ddpCreate",
                           "ddpBeforeForward", "ddpAfterForward", "destroy"}) {
    d.Set(name, Napi::Function::New(env, unsupported, name));
  }
  d.Set("hasNccl", Napi::Function::New(env, [](const Napi::CallbackInfo& info) -> Napi::Value { return Napi::Boolean::New(info.Env(), false); }, "hasNccl"));
  return d;
}

#endif

}  // namespace segface
