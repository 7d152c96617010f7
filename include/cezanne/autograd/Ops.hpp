// All differentiable ops.
#pragma once

#include "cezanne/autograd/GradMode.hpp"
#include "cezanne/autograd/Grad.hpp"
#include "cezanne/autograd/Var.hpp"
#include "cezanne/autograd/ops/Attention.hpp"
#include "cezanne/autograd/ops/Convolution.hpp"
#include "cezanne/autograd/ops/Distance.hpp"
#include "cezanne/autograd/ops/Dropout.hpp"
#include "cezanne/autograd/ops/Indexing.hpp"
#include "cezanne/autograd/ops/Linalg.hpp"
#include "cezanne/autograd/ops/Loss.hpp"
#include "cezanne/autograd/ops/Normalization.hpp"
#include "cezanne/autograd/ops/Pointwise.hpp"
#include "cezanne/autograd/ops/Pooling.hpp"
#include "cezanne/autograd/ops/Reduction.hpp"
#include "cezanne/autograd/ops/Shape.hpp"
