// The convolutional encoder (Conv4's body without batch norm) and the upsampling decoder.
#include "cezanne/learn/ConvCoder.hpp"

#include <stdexcept>
#include <string>

#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Linear.hpp"

namespace cz::learn {
namespace {

// Nearest upsampling by 2 of [M, C, H, W], composed: every pixel expanded to a 2 x 2 block.
Var upsample2(const Var& x) {
  const int64_t m = x.size(0), c = x.size(1), h = x.size(2), w = x.size(3);
  const Var blocks = expand(reshape(x, {m, c, h, 1, w, 1}), {m, c, h, 2, w, 2});
  return reshape(contiguous(blocks), {m, c, 2 * h, 2 * w});
}

}  // namespace

void ConvCoder::check(const char* who) const {
  if (image < 16 || image % 4 != 0)
    throw std::invalid_argument(std::string(who) + " needs square images of a side >= 16 and a multiple of 4, got " +
                                std::to_string(image));
}

std::vector<nn::ParamSpec> ConvCoder::encoder_specs(int64_t out) const {
  const int64_t f = filters, side = image / 16;
  std::vector<nn::ParamSpec> specs;
  for (int b = 0; b < nn::Conv4::kBlocks; ++b) {
    const std::string prefix = "block" + std::to_string(b) + ".conv";
    specs.push_back({prefix + ".weight", {f, b == 0 ? channels : f, 3, 3}, {nn::Init::xavier_uniform}});
    specs.push_back({prefix + ".bias", {f}, {nn::Init::zeros}});
  }
  for (const nn::ParamSpec& p : nn::linear_specs("encoder.head", f * side * side, out)) specs.push_back(p);
  return specs;
}

Var ConvCoder::encode(const nn::ParamList& p, const Var& x) const {
  const int64_t n = x.size(0);
  Var h = reshape(x, {n, channels, image, image});
  for (size_t b = 0; b < nn::Conv4::kBlocks; ++b) h = max_pool2d(relu(conv2d(h, p[2 * b], p[2 * b + 1], 1, 1)), 2);
  return nn::linear(reshape(h, {n, -1}), p[2 * nn::Conv4::kBlocks], p[2 * nn::Conv4::kBlocks + 1]);
}

std::vector<nn::ParamSpec> ConvCoder::decoder_specs(int64_t in) const {
  const int64_t f = filters, start = image / 4;
  std::vector<nn::ParamSpec> specs =
      nn::linear_specs("decoder.fc", in, f * start * start, true, {nn::Init::kaiming_uniform, 0.0});
  specs.push_back({"decoder.conv0.weight", {f, f, 3, 3}, {nn::Init::xavier_uniform}});
  specs.push_back({"decoder.conv0.bias", {f}, {nn::Init::zeros}});
  specs.push_back({"decoder.conv1.weight", {channels, f, 3, 3}, {nn::Init::xavier_uniform}});
  specs.push_back({"decoder.conv1.bias", {channels}, {nn::Init::zeros}});
  return specs;
}

Var ConvCoder::decode(const nn::ParamList& p, const Var& z) const {
  Shape lead = z.shape();
  const int64_t in = lead.back();
  lead.pop_back();
  const int64_t start = image / 4;
  Var h = relu(nn::linear(reshape(z, {-1, in}), p[0], p[1]));
  h = reshape(h, {h.size(0), filters, start, start});
  h = relu(conv2d(upsample2(h), p[2], p[3], 1, 1));
  h = conv2d(upsample2(h), p[4], p[5], 1, 1);  // [M, C, image, image]
  lead.push_back(channels * image * image);
  return reshape(h, lead);
}

}  // namespace cz::learn
