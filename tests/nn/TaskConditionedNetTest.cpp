// TaskConditionedNet: each conditioning against a hand-built Conv4 reference, gradient checks, specs and errors.
#include "cezanne/nn/TaskConditionedNet.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "autograd/GradCheck.hpp"
#include "cezanne/autograd/Ops.hpp"
#include "cezanne/nn/Conv4.hpp"
#include "cezanne/nn/Linear.hpp"
#include "cezanne/nn/Params.hpp"
#include "cezanne/tensor/Ops.hpp"
#include "nn/TinyTaskNet.hpp"

namespace cz::nn {
namespace {

using testing::tiny;

constexpr Conditioning kAll[] = {Conditioning::share_nothing,  Conditioning::concat_input,
                                 Conditioning::concat_features, Conditioning::additive,
                                 Conditioning::multiplicative, Conditioning::film,
                                 Conditioning::multi_head};


Var input(const Shape& shape, uint64_t seed, DType dtype = DType::f64) {
  return Var(Tensor::uniform(shape, -1, 1, seed, 0, dtype));
}

Tensor task_ids(const std::vector<int64_t>& ids) {
  return Tensor::from_i64(ids, {static_cast<int64_t>(ids.size())});
}

// Every parameter uniform in [-1, 1] (gains, biases and heads all differ between tasks).
std::vector<Tensor> random_params(const TaskConditionedNet& net, uint64_t seed) {
  std::vector<Tensor> ps;
  for (const ParamSpec& s : net.specs()) ps.push_back(testing::random_f64(s.shape, seed++));
  return ps;
}

ParamList vars(const std::vector<Tensor>& ts) {
  ParamList out;
  for (const Tensor& t : ts) out.emplace_back(t);
  return out;
}

// Parameter i of a Conv4 for one task: row `task` of a [num_tasks, ...] table.
ParamList task_slice(const ParamList& p, size_t begin, size_t end, int64_t task) {
  ParamList out;
  for (size_t i = begin; i < end; ++i) out.emplace_back(p[i].data().select(0, task));
  return out;
}

double diff(const Tensor& a, const Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  return max_abs_diff(a, b);
}

TEST(TaskConditionedNet, ParseAndToStringRoundTrip) {
  for (Conditioning c : kAll) EXPECT_EQ(parse_conditioning(to_string(c)), c) << to_string(c);
  EXPECT_STREQ(to_string(Conditioning::film), "film");
  EXPECT_STREQ(to_string(Conditioning::share_nothing), "share_nothing");
  try {
    parse_conditioning("FiLM");
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "--conditioning: expected one of share_nothing, concat_input, concat_features, "
                 "additive, multiplicative, film, multi_head, got 'FiLM'");
  }
}

void expect_message(const TaskNetSpec& spec, const std::string& message) {
  try {
    TaskConditionedNet net(spec);
    FAIL() << "expected std::invalid_argument: " << message;
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), message);
  }
}

TEST(TaskConditionedNet, ConstructorErrors) {
  TaskNetSpec s = tiny(Conditioning::film);
  s.descriptor = 8;
  expect_message(s, "--task-descriptor 8: only concat_input and concat_features use a task "
                    "embedding, not film");
  s = tiny(Conditioning::multi_head, 3);
  expect_message(s, "--task-descriptor 3: only concat_input and concat_features use a task "
                    "embedding, not multi_head");
  expect_message(tiny(Conditioning::concat_input, -1), "--task-descriptor -1: must be >= 0");
  s = tiny(Conditioning::film);
  s.image = 8;
  expect_message(s, "Conv4: image 8 is too small for 4 pooling layers (needs >= 16)");
  s = tiny(Conditioning::film);
  s.filters = 0;
  expect_message(s, "TaskConditionedNet: filters must be >= 1, got 0");
  s = tiny(Conditioning::film);
  s.channels = 0;
  expect_message(s, "TaskConditionedNet: channels must be >= 1, got 0");
  s = tiny(Conditioning::film);
  s.image = 0;
  expect_message(s, "TaskConditionedNet: image must be >= 1, got 0");
  s = tiny(Conditioning::film);
  s.num_tasks = 0;
  expect_message(s, "TaskConditionedNet: num_tasks must be >= 1, got 0");
  s = tiny(Conditioning::film);
  s.outputs = -2;
  expect_message(s, "TaskConditionedNet: outputs must be >= 1, got -2");
  EXPECT_NO_THROW(TaskConditionedNet(tiny(Conditioning::concat_features, 5)));
}

std::vector<std::string> names(const std::vector<ParamSpec>& specs) {
  std::vector<std::string> out;
  for (const ParamSpec& s : specs) out.push_back(s.name);
  return out;
}

TEST(TaskConditionedNet, SpecsAndSharedFlags) {
  // filters 8, channels 3, image 32 -> features 8 * 2 * 2 = 32; 5 tasks, 6 outputs.
  auto spec = [](Conditioning c, int64_t descriptor = 0) {
    TaskNetSpec s{8, 3, 32, 5, 6, c, descriptor};
    return TaskConditionedNet(s);
  };
  const std::vector<ParamSpec> conv4 = Conv4(8, 3, 32, 6).specs();
  const std::vector<std::string> conv4_names = names(conv4);

  {  // share_nothing: Conv4's names, a leading [5] axis, nothing shared
    const TaskConditionedNet net = spec(Conditioning::share_nothing);
    const auto specs = net.specs();
    ASSERT_EQ(names(specs), conv4_names);
    for (size_t i = 0; i < specs.size(); ++i) {
      Shape expected = conv4[i].shape;
      expected.insert(expected.begin(), 5);
      EXPECT_EQ(specs[i].shape, expected) << specs[i].name;
    }
    EXPECT_EQ(net.shared(), std::vector<bool>(18, false));
    // Each task's copy has Conv4's xavier bound for one task: sqrt(6 / (3*9 + 8*9)).
    EXPECT_EQ(specs[0].init.kind, Init::uniform);
    EXPECT_NEAR(specs[0].init.b, std::sqrt(6.0 / (27 + 72)), 1e-15);
    EXPECT_EQ(specs[1].init.kind, Init::zeros);
    EXPECT_EQ(specs[2].init.kind, Init::ones);
  }
  {  // multi_head: the head gets the task axis
    const TaskConditionedNet net = spec(Conditioning::multi_head);
    const auto specs = net.specs();
    ASSERT_EQ(names(specs), conv4_names);
    EXPECT_EQ(specs[0].shape, (Shape{8, 3, 3, 3}));
    EXPECT_EQ(specs[16].shape, (Shape{5, 6, 32}));
    EXPECT_EQ(specs[17].shape, (Shape{5, 6}));
    std::vector<bool> flags(18, true);
    flags[16] = flags[17] = false;
    EXPECT_EQ(net.shared(), flags);
  }
  {  // concat_input, one-hot: block0 takes 3 + 5 channels
    const TaskConditionedNet net = spec(Conditioning::concat_input);
    const auto specs = net.specs();
    ASSERT_EQ(names(specs), conv4_names);
    EXPECT_EQ(specs[0].shape, (Shape{8, 8, 3, 3}));
    EXPECT_EQ(specs[16].shape, (Shape{6, 32}));
    EXPECT_EQ(net.shared(), std::vector<bool>(18, true));
    EXPECT_EQ(net.descriptor_size(), 5);
  }
  {  // concat_input with a learned embedding of size 4
    const TaskConditionedNet net = spec(Conditioning::concat_input, 4);
    const auto specs = net.specs();
    ASSERT_EQ(specs.size(), 19u);
    EXPECT_EQ(specs[0].shape, (Shape{8, 7, 3, 3}));
    EXPECT_EQ(specs[18].name, "task_embedding");
    EXPECT_EQ(specs[18].shape, (Shape{5, 4}));
    EXPECT_EQ(specs[18].init.kind, Init::normal);
    std::vector<bool> flags(19, true);
    flags[18] = false;
    EXPECT_EQ(net.shared(), flags);
  }
  {  // concat_features: head [6, 32 + zdim]
    EXPECT_EQ(spec(Conditioning::concat_features).specs()[16].shape, (Shape{6, 37}));
    const auto specs = spec(Conditioning::concat_features, 2).specs();
    EXPECT_EQ(specs[0].shape, (Shape{8, 3, 3, 3}));
    EXPECT_EQ(specs[16].shape, (Shape{6, 34}));
    EXPECT_EQ(specs.back().name, "task_embedding");
  }
  {  // film: gain then bias per block after the Conv4 parameters
    const TaskConditionedNet net = spec(Conditioning::film);
    const auto specs = net.specs();
    ASSERT_EQ(specs.size(), 26u);
    const std::vector<std::string> film_names = names(specs);
    EXPECT_EQ(std::vector<std::string>(film_names.begin(), film_names.begin() + 18), conv4_names);
    EXPECT_EQ(specs[18].name, "block0.task_gain");
    EXPECT_EQ(specs[19].name, "block0.task_bias");
    EXPECT_EQ(specs[25].name, "block3.task_bias");
    EXPECT_EQ(specs[18].shape, (Shape{5, 8}));
    EXPECT_EQ(specs[18].init.kind, Init::ones);
    EXPECT_EQ(specs[19].init.kind, Init::zeros);
    std::vector<bool> flags(26, false);
    for (size_t i = 0; i < 18; ++i) flags[i] = true;
    EXPECT_EQ(net.shared(), flags);
  }
  {
    const auto add = spec(Conditioning::additive).specs();
    ASSERT_EQ(add.size(), 22u);
    EXPECT_EQ(add[18].name, "block0.task_bias");
    EXPECT_EQ(add[21].name, "block3.task_bias");
    const auto mul = spec(Conditioning::multiplicative).specs();
    ASSERT_EQ(mul.size(), 22u);
    EXPECT_EQ(mul[20].name, "block2.task_gain");
    EXPECT_EQ(spec(Conditioning::multiplicative).shared().size(), 22u);
  }
}

TEST(TaskConditionedNet, ShareNothingEqualsSeparateConv4PerTask) {
  TaskNetSpec s{3, 2, 20, 4, 5, Conditioning::share_nothing, 0};
  const TaskConditionedNet net(s);
  Params p(net.specs(), DType::f64);
  p.initialize(11);
  const std::vector<int64_t> ids = {2, 0, 2};  // rows 0 and 2 share task 2
  Var x = input({3, 6, 2, 20, 20}, 12);
  Var y = net.forward(p.list(), x, task_ids(ids));
  ASSERT_EQ(y.shape(), (Shape{3, 6, 5}));
  const Conv4 conv4(3, 2, 20, 5);
  for (int64_t t = 0; t < 3; ++t) {
    Var yt = conv4.forward(task_slice(p.list(), 0, 18, ids[t]), cz::select(x, 0, t));
    EXPECT_LT(diff(y.data().select(0, t), yt.data()), 1e-12) << "row " << t;
  }
}

TEST(TaskConditionedNet, MultiHeadEqualsTrunkWithEachTasksHead) {
  TaskNetSpec s{4, 1, 16, 3, 5, Conditioning::multi_head, 0};
  const TaskConditionedNet net(s);
  const Conv4 conv4(4, 1, 16, 5);
  Params theta(conv4.specs(), DType::f64);
  theta.initialize(21);
  const std::vector<int64_t> ids = {1, 1, 0};
  Var x = input({3, 4, 1, 16, 16}, 22);

  // All heads equal: Conv4::forward_tasks of the trunk + that head.
  ParamList p(theta.list().begin(), theta.list().begin() + 16);
  p.push_back(cz::stack({theta[16], theta[16], theta[16]}, 0));
  p.push_back(cz::stack({theta[17], theta[17], theta[17]}, 0));
  Var y = net.forward(p, x, task_ids(ids));
  Var expected = conv4.forward_tasks(expand_to_tasks(theta.list(), 3), x);
  EXPECT_LT(diff(y.data(), expected.data()), 1e-12);

  // Distinct heads: row t uses head tasks[t] on the shared trunk.
  p[16] = Var(testing::random_f64({3, 5, 4}, 23));
  p[17] = Var(testing::random_f64({3, 5}, 24));
  y = net.forward(p, x, task_ids(ids));
  for (int64_t t = 0; t < 3; ++t) {
    ParamList pt(theta.list().begin(), theta.list().begin() + 16);
    pt.emplace_back(p[16].data().select(0, ids[t]));
    pt.emplace_back(p[17].data().select(0, ids[t]));
    Var yt = conv4.forward(pt, cz::select(x, 0, t));
    EXPECT_LT(diff(y.data().select(0, t), yt.data()), 1e-12) << "row " << t;
  }
}

TEST(TaskConditionedNet, FilmAtInitEqualsUnconditionedTrunk) {
  for (Conditioning c : {Conditioning::film, Conditioning::additive, Conditioning::multiplicative}) {
    TaskNetSpec s{4, 2, 16, 3, 5, c, 0};
    const TaskConditionedNet net(s);
    Params p(net.specs(), DType::f64);
    p.initialize(31);  // gains 1, biases 0
    Var x = input({2, 5, 2, 16, 16}, 32);
    Var y = net.forward(p.list(), x, task_ids({2, 1}));
    const Conv4 conv4(4, 2, 16, 5);
    ParamList theta(p.list().begin(), p.list().begin() + 18);
    Var expected = conv4.forward_tasks(expand_to_tasks(theta, 2), x);
    EXPECT_LT(diff(y.data(), expected.data()), 1e-12) << to_string(c);
  }
}

// Reference FiLM, one row at a time and unfused: conv -> batch norm -> * gain + bias -> relu -> pool.
TEST(TaskConditionedNet, FilmEqualsUnfusedPerRowReference) {
  TaskNetSpec s{3, 1, 16, 4, 2, Conditioning::film, 0};
  const TaskConditionedNet net(s);
  const std::vector<Tensor> pt = random_params(net, 41);
  const ParamList p = vars(pt);
  const std::vector<int64_t> ids = {3, 0, 3};
  Var x = input({3, 5, 1, 16, 16}, 42);
  Var y = net.forward(p, x, task_ids(ids));
  for (int64_t t = 0; t < 3; ++t) {
    Var h = cz::select(x, 0, t);
    for (int b = 0; b < 4; ++b) {
      h = cz::conv2d(h, p[4 * b], p[4 * b + 1], 1, 1);
      h = cz::batch_norm(h, p[4 * b + 2], p[4 * b + 3]);
      Var gain = cz::reshape(cz::select(p[18 + 2 * b], 0, ids[t]), {1, 3, 1, 1});
      Var bias = cz::reshape(cz::select(p[19 + 2 * b], 0, ids[t]), {1, 3, 1, 1});
      h = cz::max_pool2d(cz::relu(h * gain + bias), 2);
    }
    Var yt = linear(cz::flatten(h, 1), p[16], p[17]);
    EXPECT_LT(diff(y.data().select(0, t), yt.data()), 1e-12) << "row " << t;
  }
}

TEST(TaskConditionedNet, ConcatInputOneHotEqualsConv4WithExtraChannels) {
  TaskNetSpec s{4, 2, 16, 3, 5, Conditioning::concat_input, 0};
  const TaskConditionedNet net(s);
  Params p(net.specs(), DType::f64);
  p.initialize(51);
  const std::vector<int64_t> ids = {2, 0};
  Var x = input({2, 3, 2, 16, 16}, 52);
  Var y = net.forward(p.list(), x, task_ids(ids));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  // x with 3 more channels: channel 2 + k is all ones where k is the row's task.
  Tensor xz = Tensor::zeros({2, 3, 5, 16, 16}, DType::f64);
  xz.slice(2, 0, 2).copy_(x.data());
  for (int64_t t = 0; t < 2; ++t) xz.select(0, t).select(1, 2 + ids[t]).fill_(1.0);
  const Conv4 conv4(4, 5, 16, 5);
  Var expected = conv4.forward_tasks(expand_to_tasks(p.list(), 2), Var(xz));
  EXPECT_LT(diff(y.data(), expected.data()), 1e-12);
}

TEST(TaskConditionedNet, ConcatFeaturesOneHotEqualsConv4FeaturesWithZ) {
  TaskNetSpec s{4, 1, 16, 3, 5, Conditioning::concat_features, 0};
  const TaskConditionedNet net(s);
  Params p(net.specs(), DType::f64);
  p.initialize(61);
  Var x = input({2, 3, 1, 16, 16}, 62);
  Var y = net.forward(p.list(), x, task_ids({1, 2}));
  ASSERT_EQ(y.shape(), (Shape{2, 3, 5}));
  const Conv4 conv4(4, 1, 16, 5);
  ParamList trunk(p.list().begin(), p.list().begin() + 16);
  trunk.push_back(Var(Tensor::zeros({5, 4}, DType::f64)));
  trunk.push_back(Var(Tensor::zeros({5}, DType::f64)));
  Var features = conv4.embed_tasks(expand_to_tasks(trunk, 2), x);  // [2, 3, 4]
  Tensor z = Tensor::zeros({2, 3, 3}, DType::f64);
  z.select(0, 0).select(1, 1).fill_(1.0);
  z.select(0, 1).select(1, 2).fill_(1.0);
  Var expected = linear(cz::cat({features, Var(z)}, 2), p[16], p[17]);
  EXPECT_LT(diff(y.data(), expected.data()), 1e-12);
}

TEST(TaskConditionedNet, EveryConditioningDependsOnTheTask) {
  // Same x in both rows, different tasks: the logits differ (with random tables and heads).
  for (Conditioning c : kAll)
    for (int64_t descriptor : {0, 3}) {
      if (descriptor > 0 && c != Conditioning::concat_input && c != Conditioning::concat_features)
        continue;
      const TaskConditionedNet net(tiny(c, descriptor));
      const ParamList p = vars(random_params(net, 71));
      Tensor x1 = Tensor::uniform({1, 3, 1, 16, 16}, -1, 1, 72, 0, DType::f64);
      Var x(cz::cat({x1, x1, x1}, 0));
      Var y = net.forward(p, x, task_ids({0, 1, 0}));
      ASSERT_EQ(y.shape(), (Shape{3, 3, 4})) << to_string(c);
      EXPECT_GT(diff(y.data().select(0, 0), y.data().select(0, 1)), 1e-6) << to_string(c);
      EXPECT_LT(diff(y.data().select(0, 0), y.data().select(0, 2)), 1e-12) << to_string(c);
    }
}

TEST(TaskConditionedNet, GradCheckEveryConditioning) {
  for (Conditioning c : kAll)
    for (int64_t descriptor : {0, 3}) {
      if (descriptor > 0 && c != Conditioning::concat_input && c != Conditioning::concat_features)
        continue;
      const TaskConditionedNet net(tiny(c, descriptor));
      const Var x = input({2, 3, 1, 16, 16}, 81);
      const Tensor tasks = task_ids({2, 0});
      testing::gradcheck([&](const std::vector<Var>& p) { return net.forward(p, x, tasks); },
                         random_params(net, 82),
                         std::string(to_string(c)) + " descriptor " + std::to_string(descriptor));
    }
}

TEST(TaskConditionedNet, TaskTablesGetNoGradientForAbsentTasks) {
  for (Conditioning c : kAll)
    for (int64_t descriptor : {0, 3}) {
      if (descriptor > 0 && c != Conditioning::concat_input && c != Conditioning::concat_features)
        continue;
      const TaskConditionedNet net(tiny(c, descriptor));
      const std::vector<ParamSpec> specs = net.specs();
      const std::vector<bool> shared = net.shared();
      std::vector<Var> p = testing::leaves(random_params(net, 91));
      Var y = net.forward(p, input({2, 3, 1, 16, 16}, 92), task_ids({2, 0}));  // task 1 absent
      std::vector<Var> g = cz::grad({cz::sum(y * Var(testing::random_f64(y.shape(), 93)))}, p);
      for (size_t i = 0; i < p.size(); ++i) {
        const std::string what = std::string(to_string(c)) + " " + specs[i].name;
        ASSERT_TRUE(g[i].defined()) << what;
        if (shared[i]) continue;
        ASSERT_EQ(g[i].shape()[0], 3) << what;  // a per-task table [num_tasks, ...]
        EXPECT_EQ(cz::sum(cz::abs(cz::select(g[i], 0, 1))).item(), 0.0) << what;
        // A conv bias feeds batch norm, which removes it: its gradient is zero up to rounding.
        if (specs[i].name.ends_with(".conv.bias")) continue;
        EXPECT_GT(cz::sum(cz::abs(cz::select(g[i], 0, 0))).item(), 0.0) << what;
        EXPECT_GT(cz::sum(cz::abs(cz::select(g[i], 0, 2))).item(), 0.0) << what;
      }
    }
}

TEST(TaskConditionedNet, Float32MatchesFloat64) {
  for (Conditioning c : {Conditioning::share_nothing, Conditioning::film, Conditioning::concat_input}) {
    const TaskConditionedNet net(tiny(c));
    const std::vector<Tensor> p64 = random_params(net, 101);
    std::vector<Tensor> p32;
    for (const Tensor& t : p64) p32.push_back(t.to(DType::f32));
    Var x64 = input({2, 3, 1, 16, 16}, 102);
    Var x32(x64.data().to(DType::f32));
    Var y64 = net.forward(vars(p64), x64, task_ids({1, 2}));
    Var y32 = net.forward(vars(p32), x32, task_ids({1, 2}));
    EXPECT_EQ(y32.dtype(), DType::f32);
    EXPECT_LT(diff(y32.data().to(DType::f64), y64.data()), 1e-4) << to_string(c);
  }
}

TEST(TaskConditionedNet, ForwardErrors) {
  const TaskConditionedNet net(tiny(Conditioning::film));
  const ParamList p = vars(random_params(net, 111));
  const Var x = input({2, 3, 1, 16, 16}, 112);
  try {
    net.forward(p, input({2, 3, 2, 16, 16}, 113), task_ids({0, 1}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "TaskConditionedNet::forward: x [2, 3, 2, 16, 16] must be [T, B, 1, 16, 16]");
  }
  try {
    net.forward(p, x, task_ids({0, 1, 2}));
    FAIL() << "expected ShapeError";
  } catch (const ShapeError& e) {
    EXPECT_STREQ(e.what(), "TaskConditionedNet::forward: tasks [3] must be [2], one task per row of x "
                           "[2, 3, 1, 16, 16]");
  }
  try {
    net.forward(p, x, task_ids({0, 3}));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "TaskConditionedNet::forward: tasks[1] = 3 is out of range [0, 3)");
  }
  EXPECT_THROW(net.forward(p, x, task_ids({-1, 0})), std::invalid_argument);
  EXPECT_THROW(net.forward(p, x, Tensor::zeros({2})), DTypeError);
  EXPECT_THROW(net.forward(p, Var(x.data().to(DType::f32)), task_ids({0, 1})), DTypeError);
  try {
    net.forward(ParamList(p.begin(), p.end() - 1), x, task_ids({0, 1}));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "TaskConditionedNet: expected 26 parameters, got 25");
  }
  ParamList swapped = p;
  std::swap(swapped[0], swapped[4]);
  try {
    net.forward(swapped, x, task_ids({0, 1}));
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "TaskConditionedNet: parameter 'block0.conv.weight' has shape "
                           "[2, 2, 3, 3], expected [2, 1, 3, 3]");
  }
}

}  // namespace
}  // namespace cz::nn
