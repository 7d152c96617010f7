// All functional layers of cz::nn.
#pragma once

#include "cezanne/nn/Activation.hpp"
#include "cezanne/nn/BatchNorm2d.hpp"
#include "cezanne/nn/Conv2d.hpp"
#include "cezanne/nn/Embedding.hpp"
#include "cezanne/nn/Flatten.hpp"
#include "cezanne/nn/LSTMCell.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/nn/MaxPool2d.hpp"
