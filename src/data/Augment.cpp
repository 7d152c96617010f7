// data::augment: counter-based views of a batch of images, and the text form of AugmentSpec.
#include "cezanne/data/Augment.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <stdexcept>
#include <thread>
#include <vector>

#include "AugmentView.hpp"
#include "cezanne/tensor/Random.hpp"

namespace cz::data {
namespace {

constexpr uint64_t kAugmentStream = 0x4155'474D'454E'54ull;  // "AUGMENT"
// Examples per thread below which another thread costs more than it saves (a 28x28 view takes
// a few microseconds).
constexpr int64_t kExamplesPerThread = 16;

// The fields of AugmentSpec by name, for parse() and to_string(); flip is the one bool.
struct Field {
  const char* name;
  double AugmentSpec::*value;
};
constexpr Field kFields[] = {
    {"crop_p", &AugmentSpec::crop_p},       {"crop", &AugmentSpec::crop},
    {"crop_aspect", &AugmentSpec::crop_aspect}, {"affine_p", &AugmentSpec::affine_p},
    {"rotation", &AugmentSpec::rotation},   {"scale", &AugmentSpec::scale},
    {"shear", &AugmentSpec::shear},         {"translate", &AugmentSpec::translate},
    {"elastic_p", &AugmentSpec::elastic_p}, {"elastic", &AugmentSpec::elastic},
    {"stroke_p", &AugmentSpec::stroke_p},   {"thicken", &AugmentSpec::thicken},
    {"thin", &AugmentSpec::thin},           {"noise_p", &AugmentSpec::noise_p},
    {"noise", &AugmentSpec::noise},         {"erase_p", &AugmentSpec::erase_p},
    {"erase", &AugmentSpec::erase},
};

// The shortest text that reads back as the same double (so to_string() round-trips exactly).
std::string format(double v) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof buffer, v);
  return std::string(buffer, end);
}

[[noreturn]] void invalid(const std::string& what) { throw std::invalid_argument("augment: " + what); }

}  // namespace

void AugmentSpec::validate() const {
  auto check = [](const char* name, double v, double lo, double hi, bool hi_open) {
    if (!(v >= lo && (hi_open ? v < hi : v <= hi)))  // also catches NaN
      invalid(std::string(name) + " must be in [" + format(lo) + ", " + format(hi) + (hi_open ? ")" : "]") +
              ", got " + format(v));
  };
  constexpr double kInf = std::numeric_limits<double>::infinity();
  check("crop_p", crop_p, 0, 1, false);
  check("affine_p", affine_p, 0, 1, false);
  check("elastic_p", elastic_p, 0, 1, false);
  check("stroke_p", stroke_p, 0, 1, false);
  check("noise_p", noise_p, 0, 1, false);
  check("erase_p", erase_p, 0, 1, false);
  check("crop", crop, 0, 1, true);
  check("crop_aspect", crop_aspect, 0, kInf, true);
  check("rotation", rotation, 0, 180, false);
  check("scale", scale, 0, 1, true);
  check("shear", shear, 0, kInf, true);
  check("translate", translate, 0, 1, false);
  check("elastic", elastic, 0, 1, false);
  check("thicken", thicken, 0, 1, false);
  check("thin", thin, 0, 1, false);
  check("noise", noise, 0, 1, false);
  check("erase", erase, 0, 1, false);
}

AugmentSpec AugmentSpec::parse(std::string_view text) {
  AugmentSpec spec;
  if (text == "none") {
    for (const Field& f : kFields)
      if (std::string_view(f.name).ends_with("_p")) spec.*(f.value) = 0;
    return spec;
  }
  if (text.empty() || text == "default") return spec;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos) invalid("expected field=value, got '" + std::string(item) + "'");
    const std::string_view name = item.substr(0, eq), value = item.substr(eq + 1);
    double v = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (error != std::errc() || end != value.data() + value.size())
      invalid(std::string(name) + ": not a number: '" + std::string(value) + "'");
    if (name == "flip") {
      if (v != 0 && v != 1) invalid("flip must be 0 or 1, got " + std::string(value));
      spec.flip = v == 1;
      continue;
    }
    const auto* f = std::find_if(std::begin(kFields), std::end(kFields),
                                 [&](const Field& field) { return name == field.name; });
    if (f == std::end(kFields)) invalid("unknown field '" + std::string(name) + "'");
    spec.*(f->value) = v;
  }
  spec.validate();
  return spec;
}

std::string AugmentSpec::to_string() const {
  std::string s;
  for (const Field& f : kFields) {
    s += s.empty() ? "" : ",";
    s += std::string(f.name) + "=" + format(this->*(f.value));
    if (std::string_view(f.name) == "crop_aspect") s += std::string(",flip=") + (flip ? "1" : "0");
  }
  return s;
}

Tensor augment(const Tensor& images, const AugmentSpec& spec, uint64_t seed, int64_t step,
               std::span<const int64_t> keys, int64_t view, int threads) {
  spec.validate();
  if (!images.defined() || images.dim() != 4 || images.dtype() != DType::f32 || !images.device().is_cpu())
    invalid("images must be a 4-D [N, C, H, W] f32 host tensor");
  const int64_t n = images.shape()[0], channels = images.shape()[1], height = images.shape()[2],
                width = images.shape()[3];
  if (static_cast<int64_t>(keys.size()) != n)
    invalid(std::to_string(keys.size()) + " keys for " + std::to_string(n) + " images");
  const Tensor in = images.contiguous();
  Tensor out = Tensor::empty(images.shape(), DType::f32);
  const int64_t image = channels * height * width;
  const float* src = in.data<float>();
  float* dst = out.data<float>();
  // Each example's view depends on its key alone, so any partition of the examples over
  // threads gives the same bytes.
  auto run = [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      CounterRng rng(mix_key({seed, kAugmentStream, static_cast<uint64_t>(step), static_cast<uint64_t>(keys[i]),
                              static_cast<uint64_t>(view)}));
      const detail::ViewParams v = detail::draw_view(spec, rng, height, width);
      detail::render_view(v, src + i * image, dst + i * image, channels, height, width);
    }
  };
  const int64_t workers =
      threads > 0 ? std::clamp<int64_t>(threads, 1, std::max<int64_t>(n, 1))
                  : std::clamp<int64_t>(n / kExamplesPerThread, 1, std::max(1u, std::thread::hardware_concurrency()));
  if (workers == 1) {
    run(0, n);
    return out;
  }
  std::vector<std::thread> pool;
  for (int64_t w = 1; w < workers; ++w) pool.emplace_back(run, n * w / workers, n * (w + 1) / workers);
  run(0, n / workers);
  for (std::thread& t : pool) t.join();
  return out;
}

}  // namespace cz::data
