// ConvCoder: the convolutional encoder and decoder of the VAE and the autoencoder.
#pragma once

#include <cstdint>
#include <vector>

#include "cezanne/nn/ParamSpec.hpp"

namespace cz::learn {

/// Square images of `channels` x `image`^2 (image a multiple of 4, >= 16) and the filters of
/// every convolution.
struct ConvCoder {
  int64_t channels = 1, image = 28, filters = 64;

  /// Throws std::invalid_argument naming `who` ("the convolutional VAE") when the image does not
  /// fit: "<who> needs square images of a side >= 16 and a multiple of 4, got 30".
  void check(const char* who) const;

  /// The encoder: Conv4's body without batch norm (4 x [3x3 conv, padding 1 -> relu -> 2x2
  /// max-pool], parameters "block{b}.conv.*" as nn::Conv4 names them, so --init-params 'block*'
  /// loads them into Conv4) and the linear "encoder.head" to `out`. Batch norm is left out so
  /// that an example's code does not depend on the others of its batch.
  std::vector<nn::ParamSpec> encoder_specs(int64_t out) const;
  /// x [N, C x image^2] (or [N, C, image, image]) -> [N, out]; p in encoder_specs' order.
  Var encode(const nn::ParamList& p, const Var& x) const;

  /// The decoder: "decoder.fc" (in -> filters x (image/4)^2, relu), nearest upsampling x2,
  /// "decoder.conv0" (3x3, relu), upsampling x2, "decoder.conv1" (3x3 to C channels).
  std::vector<nn::ParamSpec> decoder_specs(int64_t in) const;
  /// z [..., in] -> [..., C x image^2]; p in decoder_specs' order.
  Var decode(const nn::ParamList& p, const Var& z) const;
};

}  // namespace cz::learn
