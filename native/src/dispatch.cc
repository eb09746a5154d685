// The one generic entry point: call any ATen operator by (name, overload) through the c10
// dispatcher with boxed arguments. JS values are converted by the schema's declared argument
// types, so int vs float and dtype strings are resolved here, not in TypeScript.
#include "common.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/core/jit_type.h>
#include <torch/csrc/jit/serialization/pickle.h>

#include <cmath>
#include <sstream>
#include <unordered_map>

namespace segface {

namespace {

struct DtypeName {
  const char* name;
  c10::ScalarType type;
};
const DtypeName kDtypes[] = {
    {"float32", at::kFloat}, {"float16", at::kHalf}, {"bfloat16", at::kBFloat16}, {"float64", at::kDouble},
    {"int64", at::kLong},    {"int32", at::kInt},    {"int16", at::kShort},       {"int8", at::kChar},
    {"uint8", at::kByte},    {"bool", at::kBool},
};

[[noreturn]] void argError(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, const std::string& why) {
  std::ostringstream msg;
  msg << s.name() << (s.overload_name().empty() ? "" : ".") << s.overload_name() << ": argument '" << a.name()
      << "' (" << a.type()->str() << ") " << why;
  throw Napi::TypeError::New(env, msg.str());
}

int64_t toInt(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, const Napi::Value& v) {
  if (v.IsBigInt()) {
    bool lossless;
    return v.As<Napi::BigInt>().Int64Value(&lossless);
  }
  if (v.IsBoolean()) return v.As<Napi::Boolean>().Value() ? 1 : 0;
  if (!v.IsNumber()) argError(env, s, a, "must be an integer");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::floor(d) != d || !std::isfinite(d)) argError(env, s, a, "must be an integer, got " + std::to_string(d));
  return static_cast<int64_t>(d);
}

double toDouble(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, const Napi::Value& v) {
  if (!v.IsNumber()) argError(env, s, a, "must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

// A JS number becomes an integral Scalar when it is a whole number, a double otherwise
// (what Python does for `x + 1` vs `x + 0.5`); wrap as {double: v} to force a double.
c10::Scalar toScalar(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, const Napi::Value& v) {
  if (v.IsBoolean()) return c10::Scalar(v.As<Napi::Boolean>().Value());
  if (v.IsBigInt()) {
    bool lossless;
    return c10::Scalar(static_cast<int64_t>(v.As<Napi::BigInt>().Int64Value(&lossless)));
  }
  if (v.IsObject() && v.As<Napi::Object>().Has("double")) {
    return c10::Scalar(toDouble(env, s, a, v.As<Napi::Object>().Get("double")));
  }
  if (!v.IsNumber()) argError(env, s, a, "must be a number");
  double d = v.As<Napi::Number>().DoubleValue();
  if (std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9007199254740992.0) {
    return c10::Scalar(static_cast<int64_t>(d));
  }
  return c10::Scalar(d);
}

int64_t enumFromString(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, c10::TypeKind real,
                       const std::string& str) {
  if (real == c10::TypeKind::LayoutType) {
    if (str == "strided") return static_cast<int64_t>(at::kStrided);
  } else if (real == c10::TypeKind::MemoryFormatType) {
    if (str == "contiguous") return static_cast<int64_t>(at::MemoryFormat::Contiguous);
    if (str == "preserve") return static_cast<int64_t>(at::MemoryFormat::Preserve);
    if (str == "channels_last") return static_cast<int64_t>(at::MemoryFormat::ChannelsLast);
  } else {
    return static_cast<int64_t>(parseDtype(str));
  }
  argError(env, s, a, "does not accept '" + str + "'");
}

c10::IValue toIValue(Napi::Env env, const c10::FunctionSchema& s, const c10::Argument& a, const c10::TypePtr& type,
                     const c10::TypePtr& real, const Napi::Value& v, int64_t fixedLen) {
  using K = c10::TypeKind;
  switch (type->kind()) {
    case K::OptionalType: {
      if (v.IsNull() || v.IsUndefined()) return c10::IValue();
      auto elem = type->expectRef<c10::OptionalType>().getElementType();
      auto realElem = real->kind() == K::OptionalType ? real->expectRef<c10::OptionalType>().getElementType() : elem;
      return toIValue(env, s, a, elem, realElem, v, fixedLen);
    }
    case K::TensorType:
      if (!isTensorHandle(v)) argError(env, s, a, "must be a tensor");
      return unwrapTensor(v, a.name().c_str());
    case K::IntType:
    case K::SymIntType:
      if (v.IsString()) return enumFromString(env, s, a, real->kind(), v.As<Napi::String>().Utf8Value());
      return toInt(env, s, a, v);
    case K::FloatType:
      return toDouble(env, s, a, v);
    case K::NumberType:
      return toScalar(env, s, a, v);
    case K::BoolType:
      if (!v.IsBoolean()) argError(env, s, a, "must be a boolean");
      return v.As<Napi::Boolean>().Value();
    case K::StringType:
      if (!v.IsString()) argError(env, s, a, "must be a string");
      return v.As<Napi::String>().Utf8Value();
    case K::DeviceObjType:
      if (!v.IsString()) argError(env, s, a, "must be a device string such as 'cpu' or 'cuda:0'");
      return c10::Device(v.As<Napi::String>().Utf8Value());
    case K::ScalarTypeType:
    case K::LayoutType:
    case K::MemoryFormatType:
      if (v.IsString()) return enumFromString(env, s, a, type->kind(), v.As<Napi::String>().Utf8Value());
      return toInt(env, s, a, v);
    case K::ListType: {
      auto elem = type->expectRef<c10::ListType>().getElementType();
      // int[2] given as one number repeats it, like Python's argument parser.
      if (v.IsNumber() && (elem->kind() == K::IntType || elem->kind() == K::SymIntType)) {
        int64_t x = toInt(env, s, a, v);
        return std::vector<int64_t>(fixedLen > 0 ? fixedLen : 1, x);
      }
      if (!v.IsArray()) argError(env, s, a, "must be an array");
      auto arr = v.As<Napi::Array>();
      uint32_t n = arr.Length();
      switch (elem->kind()) {
        case K::IntType:
        case K::SymIntType: {
          std::vector<int64_t> out(n);
          for (uint32_t i = 0; i < n; i++) out[i] = toInt(env, s, a, arr.Get(i));
          return out;
        }
        case K::FloatType: {
          std::vector<double> out(n);
          for (uint32_t i = 0; i < n; i++) out[i] = toDouble(env, s, a, arr.Get(i));
          return out;
        }
        case K::BoolType: {
          c10::List<bool> out;
          for (uint32_t i = 0; i < n; i++) {
            Napi::Value e = arr.Get(i);
            if (!e.IsBoolean()) argError(env, s, a, "must be an array of booleans");
            out.push_back(e.As<Napi::Boolean>().Value());
          }
          return out;
        }
        case K::TensorType: {
          c10::List<at::Tensor> out;
          out.reserve(n);
          for (uint32_t i = 0; i < n; i++) {
            Napi::Value e = arr.Get(i);
            if (!isTensorHandle(e)) argError(env, s, a, "must be an array of tensors");
            out.push_back(unwrapTensor(e, a.name().c_str()));
          }
          return out;
        }
        case K::OptionalType: {
          c10::List<c10::optional<at::Tensor>> out;
          for (uint32_t i = 0; i < n; i++) {
            Napi::Value e = arr.Get(i);
            if (e.IsNull() || e.IsUndefined()) out.push_back(c10::nullopt);
            else out.push_back(unwrapTensor(e, a.name().c_str()));
          }
          return out;
        }
        default:
          argError(env, s, a, "has a list type the binding does not convert");
      }
    }
    default:
      argError(env, s, a, "has a type the binding does not convert");
  }
}

std::unordered_map<std::string, c10::OperatorHandle>& opCache() {
  static std::unordered_map<std::string, c10::OperatorHandle> cache;
  return cache;
}

}  // namespace

c10::ScalarType parseDtype(const std::string& name) {
  for (const auto& d : kDtypes) {
    if (name == d.name) return d.type;
  }
  throw std::invalid_argument("unknown dtype '" + name + "'");
}

const char* dtypeName(c10::ScalarType t) {
  for (const auto& d : kDtypes) {
    if (d.type == t) return d.name;
  }
  return c10::toString(t);
}

std::string cleanMessage(const std::string& what) {
  std::istringstream in(what);
  std::string line, out;
  while (std::getline(in, line)) {
    if (line.rfind("Exception raised from", 0) == 0 || line.rfind("frame #", 0) == 0) break;
    if (!out.empty()) out += "\n";
    out += line;
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? what : out;
}

Napi::Value ivalueToJs(Napi::Env env, const c10::IValue& v) {
  if (v.isTensor()) return wrapTensor(env, v.toTensor());
  if (v.isNone()) return env.Null();
  if (v.isBool()) return Napi::Boolean::New(env, v.toBool());
  if (v.isInt()) return Napi::Number::New(env, static_cast<double>(v.toInt()));
  if (v.isDouble()) return Napi::Number::New(env, v.toDouble());
  if (v.isString()) return Napi::String::New(env, v.toStringRef());
  if (v.isDevice()) return Napi::String::New(env, v.toDevice().str());
  if (v.isTuple()) {
    const auto& elems = v.toTupleRef().elements();
    auto arr = Napi::Array::New(env, elems.size());
    for (size_t i = 0; i < elems.size(); i++) arr.Set(static_cast<uint32_t>(i), ivalueToJs(env, elems[i]));
    return arr;
  }
  if (v.isList()) {
    auto list = v.toListRef();
    auto arr = Napi::Array::New(env, list.size());
    for (size_t i = 0; i < list.size(); i++) arr.Set(static_cast<uint32_t>(i), ivalueToJs(env, list[i]));
    return arr;
  }
  if (v.isGenericDict()) {
    // A Map keeps key order and non-string keys (optimizer state is keyed by int).
    auto map = env.Global().Get("Map").As<Napi::Function>().New({});
    auto set = map.Get("set").As<Napi::Function>();
    for (const auto& e : v.toGenericDict()) set.Call(map, {ivalueToJs(env, e.key()), ivalueToJs(env, e.value())});
    return map;
  }
  throw Napi::Error::New(env, "cannot convert a libtorch value of type " + v.tagKind() + " to JavaScript");
}

// call(name, overload, args[], discardResult?) → result (tensor handle, array, number, ...).
Napi::Value callOp(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    std::string name = info[0].As<Napi::String>().Utf8Value();
    std::string overload = info[1].As<Napi::String>().Utf8Value();
    auto args = info[2].As<Napi::Array>();
    bool discard = info.Length() > 3 && info[3].ToBoolean().Value();

    std::string key = name + "." + overload;
    auto& cache = opCache();
    auto it = cache.find(key);
    if (it == cache.end()) {
      auto op = c10::Dispatcher::singleton().findSchema({name, overload});
      if (!op) throw Napi::Error::New(env, "unknown operator " + key);
      it = cache.emplace(key, *op).first;
    }
    const c10::OperatorHandle& op = it->second;
    const auto& schema = op.schema();
    const auto& formals = schema.arguments();
    if (args.Length() > formals.size()) {
      throw Napi::TypeError::New(env, key + ": " + std::to_string(args.Length()) + " arguments given, the schema has " +
                                          std::to_string(formals.size()));
    }

    torch::jit::Stack stack;
    stack.reserve(formals.size());
    for (size_t i = 0; i < formals.size(); i++) {
      const auto& a = formals[i];
      Napi::Value v = i < args.Length() ? args.Get(static_cast<uint32_t>(i)) : env.Undefined();
      if (v.IsUndefined()) {
        if (a.default_value()) {
          stack.push_back(*a.default_value());
          continue;
        }
        if (a.type()->kind() != c10::TypeKind::OptionalType) argError(env, schema, a, "is required");
      }
      stack.push_back(toIValue(env, schema, a, a.type(), a.real_type(), v, a.N() ? static_cast<int64_t>(*a.N()) : 0));
    }
    op.callBoxed(&stack);
    if (discard) return env.Undefined();
    if (stack.empty()) return env.Undefined();
    if (stack.size() == 1) return ivalueToJs(env, stack[0]);
    auto arr = Napi::Array::New(env, stack.size());
    for (size_t i = 0; i < stack.size(); i++) arr.Set(static_cast<uint32_t>(i), ivalueToJs(env, stack[i]));
    return arr;
  });
}

// pickleLoad(bytes) → the value torch::pickle_load reads from a torch.save file.
Napi::Value pickleLoad(const Napi::CallbackInfo& info) {
  return guarded(info, [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(env, "pickleLoad: expected a Uint8Array");
    auto ta = info[0].As<Napi::TypedArray>();
    const char* p = static_cast<const char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset();
    std::vector<char> bytes(p, p + ta.ByteLength());
    return ivalueToJs(env, torch::jit::pickle_load(bytes));
  });
}

}  // namespace segface
