// Multi-task batches: labels, ids, pixels, no train/test leakage, determinism, sampling, errors.
#include "cezanne/data/MultiTaskSource.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreWriter.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::data;

namespace {

// Images 4x3 with 2 channels, so that the [H, W, C] -> [C, H, W] reordering shows.
constexpr int64_t kHeight = 4, kWidth = 3, kChannels = 2;
constexpr int64_t kImageBytes = kHeight * kWidth * kChannels;

// Every image is unique and says where it came from: byte 0 = class, byte 1 = position.
void encode_image(uint8_t* out, int64_t class_index, int64_t position) {
  for (int64_t i = 0; i < kImageBytes; ++i)
    out[i] = static_cast<uint8_t>((class_index * 31 + position * 7 + i * 3) % 256);
  out[0] = static_cast<uint8_t>(class_index);
  out[1] = static_cast<uint8_t>(position);
}

struct DomainSpec {
  std::string name;
  Split split;
  std::vector<int> examples;  // per class
  std::vector<std::string> class_names = {};
};

fs::path write_store(const fs::path& dir, const std::vector<DomainSpec>& layout) {
  StoreWriter writer(dir, {kHeight, kWidth, kChannels}, {"test", "MultiTaskSourceTest", "", ""});
  int64_t class_index = 0;
  for (const auto& d : layout) {
    const int32_t domain = writer.add_domain(d.name, d.split);
    for (size_t c = 0; c < d.examples.size(); ++c, ++class_index) {
      const int n = d.examples[c];
      std::vector<uint8_t> bytes(static_cast<size_t>(n * kImageBytes));
      for (int e = 0; e < n; ++e) encode_image(bytes.data() + e * kImageBytes, class_index, e);
      const std::string name =
          c < d.class_names.size() ? d.class_names[c] : d.name + "-" + std::to_string(c);
      writer.add_class(domain, name, bytes.data(), n);
    }
  }
  writer.finish();
  return dir;
}

// alpha: classes 0-1 (20 examples), beta: 2-6 (20), gamma: 7-9 (10 examples: 7/1/2 under 14/2/4).
// The store's domain splits differ and must not matter. Train examples: 28, 70, 21.
const std::vector<DomainSpec> kLayout = {{"alpha", Split::train, {20, 20}},
                                         {"beta", Split::val, {20, 20, 20, 20, 20}},
                                         {"gamma", Split::test, {10, 10, 10}}};

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

template <class T>
std::vector<T> row_values(const Tensor& batch, int64_t r) {
  const int64_t per_row = batch.numel() / batch.size(0);
  const T* p = batch.data<T>() + r * per_row;
  return std::vector<T>(p, p + per_row);
}

// Example k of a batch's inputs back in store layout [H, W, C], as bytes.
std::vector<uint8_t> stored_bytes(const TaskBatch& batch, int64_t k) {
  const int64_t hw = kHeight * kWidth;
  const float* p = batch.inputs.data<float>() + k * kImageBytes;
  std::vector<uint8_t> out(kImageBytes);
  for (int64_t ch = 0; ch < kChannels; ++ch)
    for (int64_t i = 0; i < hw; ++i)
      out[i * kChannels + ch] = static_cast<uint8_t>(std::lround(p[ch * hw + i] * 255.0f));
  return out;
}

// The message of the std::invalid_argument the constructor throws ("" if none).
std::string construction_error(std::shared_ptr<Store> store, const MultiTaskSpec& spec) {
  try {
    MultiTaskSource source(std::move(store), spec, 0);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

class MultiTaskSourceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("cezanne-multitask-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    store_path_ = write_store(root_ / "store", kLayout);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::shared_ptr<Store> open() { return Store::open(store_path_); }

  // Store example ids of `split` for every class (class by class, positions ascending).
  static std::set<int64_t> split_ids(const Store& store, const ExampleSplit& parts, Split split) {
    std::set<int64_t> ids;
    int64_t first = 0;
    for (size_t c = 0; c < store.classes().size(); ++c) {
      const int64_t n = store.classes()[c].num_examples;
      for (int64_t p : split_examples(parts, static_cast<int64_t>(c), n, split))
        ids.insert(first + p);
      first += n;
    }
    return ids;
  }

  // Checks every example of a batch against the store: its class is one of its row's task, its
  // label the class's position in the task, its id the class's offset plus a position whose
  // stored image is exactly (byte / 255, [C, H, W]) what the batch holds.
  static void check_batch(Store& store, const MultiTaskSource& source, const TaskBatch& batch) {
    const int64_t rows = batch.inputs.size(0), b = batch.inputs.size(1);
    ASSERT_EQ(batch.inputs.shape(), (Shape{rows, b, kChannels, kHeight, kWidth}));
    ASSERT_EQ(batch.labels.shape(), (Shape{rows, b}));
    ASSERT_EQ(batch.class_ids.shape(), (Shape{rows, b}));
    ASSERT_EQ(batch.example_ids.shape(), (Shape{rows, b}));
    ASSERT_EQ(static_cast<int64_t>(batch.tasks.size()), rows);
    std::vector<int64_t> first(store.classes().size());
    for (size_t c = 1; c < first.size(); ++c)
      first[c] = first[c - 1] + store.classes()[c - 1].num_examples;
    const auto labels = values<int64_t>(batch.labels);
    const auto class_ids = values<int64_t>(batch.class_ids);
    const auto example_ids = values<int64_t>(batch.example_ids);
    for (int64_t r = 0; r < rows; ++r) {
      const int64_t task = batch.tasks[r];
      ASSERT_GE(task, 0);
      ASSERT_LT(task, source.num_tasks());
      std::vector<int64_t> task_classes;  // the task's classes, ascending
      for (size_t c = 0; c < store.classes().size(); ++c)
        if (store.classes()[c].domain == source.task_domain(task))
          task_classes.push_back(static_cast<int64_t>(c));
      ASSERT_EQ(static_cast<int64_t>(task_classes.size()), source.num_classes(task));
      for (int64_t i = 0; i < b; ++i) {
        const int64_t k = r * b + i, c = class_ids[k];
        const auto it = std::find(task_classes.begin(), task_classes.end(), c);
        ASSERT_NE(it, task_classes.end()) << "class " << c << " is not in task " << task;
        EXPECT_EQ(labels[k], it - task_classes.begin());
        EXPECT_GE(labels[k], 0);
        EXPECT_LT(labels[k], source.num_classes(task));
        const int64_t position = example_ids[k] - first[c];
        ASSERT_GE(position, 0);
        ASSERT_LT(position, store.classes()[c].num_examples);
        const auto data = store.read_class(c);
        const uint8_t* src = data->data() + position * kImageBytes;
        const float* img = batch.inputs.data<float>() + k * kImageBytes;
        for (int64_t ch = 0; ch < kChannels; ++ch)
          for (int64_t y = 0; y < kHeight; ++y)
            for (int64_t x = 0; x < kWidth; ++x)
              ASSERT_EQ(img[(ch * kHeight + y) * kWidth + x],
                        static_cast<float>(src[(y * kWidth + x) * kChannels + ch]) / 255.0f);
        EXPECT_EQ(src[0], c);  // what the pixels say, not only what the source says
        EXPECT_EQ(src[1], position);
      }
    }
  }

  static inline fs::path root_;
  static inline fs::path store_path_;
};

TEST_F(MultiTaskSourceTest, TasksAreDomainsWithEveryClass) {
  MultiTaskSource source(open(), {}, 7);
  ASSERT_EQ(source.num_tasks(), 3);
  EXPECT_EQ(source.task_name(0), "alpha");
  EXPECT_EQ(source.task_name(1), "beta");
  EXPECT_EQ(source.task_name(2), "gamma");
  EXPECT_EQ(source.task_domain(2), 2);
  EXPECT_EQ(source.num_classes(0), 2);
  EXPECT_EQ(source.num_classes(1), 5);
  EXPECT_EQ(source.num_classes(2), 3);
  EXPECT_EQ(source.max_classes(), 5);
  // 14/2/4 of 20 per class; of 10: 7/1/2.
  EXPECT_EQ(source.num_examples(0, Split::train), 28);
  EXPECT_EQ(source.num_examples(0, Split::val), 4);
  EXPECT_EQ(source.num_examples(0, Split::test), 8);
  EXPECT_EQ(source.num_examples(1, Split::train), 70);
  EXPECT_EQ(source.num_examples(1, Split::val), 10);
  EXPECT_EQ(source.num_examples(1, Split::test), 20);
  EXPECT_EQ(source.num_examples(2, Split::train), 21);
  EXPECT_EQ(source.num_examples(2, Split::val), 3);
  EXPECT_EQ(source.num_examples(2, Split::test), 6);
  EXPECT_EQ(source.image_shape(), (std::vector<int64_t>{kChannels, kHeight, kWidth}));
  EXPECT_EQ(source.seed(), 7u);
  EXPECT_THROW(source.task_name(3), std::out_of_range);

  MultiTaskSpec spec;
  spec.tasks = {"gamma", "alpha"};
  MultiTaskSource chosen(open(), spec, 7);
  ASSERT_EQ(chosen.num_tasks(), 2);
  EXPECT_EQ(chosen.task_name(0), "gamma");
  EXPECT_EQ(chosen.task_domain(0), 2);
  EXPECT_EQ(chosen.task_name(1), "alpha");
  EXPECT_EQ(chosen.task_domain(1), 0);
  EXPECT_EQ(chosen.max_classes(), 3);
}

TEST_F(MultiTaskSourceTest, RowsAreLabelledExamplesOfTheirTask) {
  auto store = open();
  MultiTaskSource source(store, {}, 3);
  std::set<int64_t> tasks_seen;
  for (int64_t step = 0; step < 20; ++step)
    for (Split split : {Split::train, Split::val, Split::test}) {
      MultiTaskSpec spec;
      spec.examples = split == Split::train ? 16 : 3;  // gamma has 3 val examples
      MultiTaskSource s(store, spec, 3);
      const TaskBatch batch = s.sample(split, step, {0, 1, 2, 3, 4, 5});
      ASSERT_EQ(batch.inputs.size(0), 6);
      ASSERT_EQ(batch.inputs.size(1), spec.examples);
      EXPECT_EQ(batch.slots, (std::vector<int64_t>{0, 1, 2, 3, 4, 5}));
      EXPECT_EQ(batch.step, step);
      check_batch(*store, s, batch);
      // The examples of a row are distinct.
      const auto ids = values<int64_t>(batch.example_ids);
      for (int64_t r = 0; r < 6; ++r) {
        std::set<int64_t> row(ids.begin() + r * spec.examples,
                              ids.begin() + (r + 1) * spec.examples);
        EXPECT_EQ(static_cast<int64_t>(row.size()), spec.examples);
      }
      tasks_seen.insert(batch.tasks.begin(), batch.tasks.end());
    }
  EXPECT_EQ(tasks_seen, (std::set<int64_t>{0, 1, 2}));
}

TEST_F(MultiTaskSourceTest, TrainingNeverSeesATestExample) {
  auto store = open();
  const ExampleSplit parts;
  MultiTaskSource source(store, {}, 11);
  const std::set<int64_t> test_ids = split_ids(*store, parts, Split::test);
  const std::set<int64_t> val_ids = split_ids(*store, parts, Split::val);
  const std::set<int64_t> train_ids = split_ids(*store, parts, Split::train);
  ASSERT_EQ(test_ids.size(), 8u + 20u + 6u);
  // Every test image of the store by its bytes (all images of the fixture are unique).
  std::set<std::vector<uint8_t>> test_images;
  int64_t first = 0;
  for (size_t c = 0; c < store->classes().size(); ++c) {
    const int64_t n = store->classes()[c].num_examples;
    const auto data = store->read_class(static_cast<int64_t>(c));
    for (int64_t p = 0; p < n; ++p)
      if (test_ids.count(first + p))
        test_images.emplace(data->data() + p * kImageBytes, data->data() + (p + 1) * kImageBytes);
    first += n;
  }
  ASSERT_EQ(test_images.size(), test_ids.size());

  std::set<int64_t> drawn;
  int64_t examples = 0;
  for (int64_t step = 0; step < 300; ++step) {
    const TaskBatch batch = source.sample(Split::train, step, {0, 1, 2, 3});
    const auto ids = values<int64_t>(batch.example_ids);
    for (size_t k = 0; k < ids.size(); ++k, ++examples) {
      ASSERT_EQ(test_ids.count(ids[k]), 0u) << "test example " << ids[k] << " in a train batch";
      ASSERT_EQ(val_ids.count(ids[k]), 0u) << "val example " << ids[k] << " in a train batch";
      ASSERT_EQ(test_images.count(stored_bytes(batch, static_cast<int64_t>(k))), 0u)
          << "a train image equals a test image, step " << step;
      drawn.insert(ids[k]);
    }
  }
  EXPECT_EQ(examples, 300 * 4 * 16);
  EXPECT_EQ(drawn, train_ids) << "every train example is drawn over 19200 draws of 119";

  // And the other way round: test batches hold test examples only.
  MultiTaskSpec spec;
  spec.examples = 6;
  MultiTaskSource tester(store, spec, 11);
  for (int64_t step = 0; step < 50; ++step)
    for (int64_t id : values<int64_t>(tester.sample(Split::test, step, {0, 1}).example_ids))
      ASSERT_EQ(test_ids.count(id), 1u);
}

TEST_F(MultiTaskSourceTest, ARowDependsOnlyOnSeedSplitStepAndSlot) {
  MultiTaskSource a(open(), {}, 5);
  MultiTaskSource b(open(), {}, 5);
  for (int64_t step : {0, 1, 17, 1000000}) {
    const TaskBatch all = a.sample(Split::train, step, {0, 1, 2});
    const TaskBatch one = a.sample(Split::train, step, {1});
    const TaskBatch other = b.sample(Split::train, step, {0, 1, 2});
    EXPECT_EQ(row_values<float>(all.inputs, 1), row_values<float>(one.inputs, 0));
    EXPECT_EQ(row_values<int64_t>(all.labels, 1), row_values<int64_t>(one.labels, 0));
    EXPECT_EQ(row_values<int64_t>(all.class_ids, 1), row_values<int64_t>(one.class_ids, 0));
    EXPECT_EQ(row_values<int64_t>(all.example_ids, 1), row_values<int64_t>(one.example_ids, 0));
    EXPECT_EQ(all.tasks[1], one.tasks[0]);
    EXPECT_EQ(one.slots, (std::vector<int64_t>{1}));
    EXPECT_EQ(values<float>(all.inputs), values<float>(other.inputs));
    EXPECT_EQ(values<int64_t>(all.labels), values<int64_t>(other.labels));
    EXPECT_EQ(values<int64_t>(all.example_ids), values<int64_t>(other.example_ids));
    EXPECT_EQ(all.tasks, other.tasks);
    // Slots in another order: the same rows, permuted.
    const TaskBatch reversed = a.sample(Split::train, step, {2, 1, 0});
    for (int64_t r = 0; r < 3; ++r)
      EXPECT_EQ(row_values<int64_t>(reversed.example_ids, r),
                row_values<int64_t>(all.example_ids, 2 - r));
  }
  // Another seed, step or split gives other rows.
  MultiTaskSource c(open(), {}, 6);
  const auto ids = values<int64_t>(a.sample(Split::train, 3, {0, 1, 2}).example_ids);
  EXPECT_NE(values<int64_t>(c.sample(Split::train, 3, {0, 1, 2}).example_ids), ids);
  EXPECT_NE(values<int64_t>(a.sample(Split::train, 4, {0, 1, 2}).example_ids), ids);

  // Threads sampling at once get what one thread gets.
  std::vector<std::vector<int64_t>> expected(8), got(8);
  for (int64_t t = 0; t < 8; ++t)
    expected[t] = values<int64_t>(a.sample(Split::train, t, {t, t + 8}).example_ids);
  std::vector<std::thread> threads;
  for (int64_t t = 0; t < 8; ++t)
    threads.emplace_back([&, t] {
      got[t] = values<int64_t>(b.sample(Split::train, t, {t, t + 8}).example_ids);
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(got, expected);
}

TEST_F(MultiTaskSourceTest, NoSlotsGiveAnEmptyBatchAndRowsAreViews) {
  MultiTaskSource source(open(), {}, 1);
  const TaskBatch none = source.sample(Split::train, 4, {});
  EXPECT_EQ(none.inputs.shape(), (Shape{0, 16, kChannels, kHeight, kWidth}));
  EXPECT_EQ(none.labels.shape(), (Shape{0, 16}));
  EXPECT_EQ(none.class_ids.shape(), (Shape{0, 16}));
  EXPECT_EQ(none.example_ids.shape(), (Shape{0, 16}));
  EXPECT_TRUE(none.tasks.empty());
  EXPECT_TRUE(none.slots.empty());
  EXPECT_EQ(none.step, 4);

  const TaskBatch batch = source.sample(Split::train, 4, {3, 4, 5, 6});
  const TaskBatch part = batch.rows(1, 3);
  EXPECT_EQ(part.inputs.shape(), (Shape{2, 16, kChannels, kHeight, kWidth}));
  EXPECT_TRUE(part.inputs.shares_storage(batch.inputs));
  EXPECT_EQ(part.slots, (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(part.tasks, (std::vector<int64_t>{batch.tasks[1], batch.tasks[2]}));
  EXPECT_EQ(part.step, 4);
  EXPECT_EQ(row_values<int64_t>(part.example_ids, 0), row_values<int64_t>(batch.example_ids, 1));
  EXPECT_EQ(row_values<int64_t>(part.labels, 1), row_values<int64_t>(batch.labels, 2));
  EXPECT_EQ(row_values<float>(part.inputs.contiguous(), 1), row_values<float>(batch.inputs, 2));
}

TEST_F(MultiTaskSourceTest, TaskProbabilities) {
  MultiTaskSpec spec;
  auto probabilities = [&](TaskSampling sampling, double temperature) {
    spec.sampling = sampling;
    spec.temperature = temperature;
    return MultiTaskSource(open(), spec, 0).probabilities();
  };
  auto expect_near = [](const std::vector<double>& got, const std::vector<double>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t t = 0; t < got.size(); ++t) EXPECT_NEAR(got[t], want[t], 1e-12) << "task " << t;
  };
  // Train examples 28, 70, 21 (sum 119).
  expect_near(probabilities(TaskSampling::uniform, 5.0), {1.0 / 3, 1.0 / 3, 1.0 / 3});
  expect_near(probabilities(TaskSampling::size, 5.0),
              {0.23529411764705882, 0.58823529411764708, 0.17647058823529413});
  // 28^(1/5), 70^(1/5), 21^(1/5) normalized.
  expect_near(probabilities(TaskSampling::temperature, 5.0),
              {0.31794359725164456, 0.38188982328690169, 0.3001665794614537});
  expect_near(probabilities(TaskSampling::temperature, 2.0),
              {0.2900935180792753, 0.45867812579087203, 0.25122835612985273});
  // Temperature 1 is size sampling.
  expect_near(probabilities(TaskSampling::temperature, 1.0),
              probabilities(TaskSampling::size, 5.0));
}

TEST_F(MultiTaskSourceTest, TaskFrequenciesFollowTheProbabilities) {
  for (TaskSampling sampling :
       {TaskSampling::uniform, TaskSampling::size, TaskSampling::temperature}) {
    MultiTaskSpec spec;
    spec.examples = 1;
    spec.sampling = sampling;
    MultiTaskSource source(open(), spec, 9);
    constexpr int64_t kSlots = 30000;
    std::vector<int64_t> slots(100);
    std::vector<int64_t> counts(3);
    for (int64_t step = 0; step < kSlots / 100; ++step) {
      for (int64_t s = 0; s < 100; ++s) slots[s] = s;
      for (int64_t t : source.sample(Split::train, step, slots).tasks) ++counts[t];
    }
    // Standard error at most sqrt(0.25 / 30000) = 0.0029; allow 5 of them.
    for (int64_t t = 0; t < 3; ++t)
      EXPECT_NEAR(static_cast<double>(counts[t]) / kSlots, source.probabilities()[t], 0.0145)
          << to_string(sampling) << " task " << t;
  }
}

TEST_F(MultiTaskSourceTest, TaskExamplesEnumerateASplitOnce) {
  auto store = open();
  MultiTaskSource source(store, {}, 2);
  const ExampleSplit parts;
  for (Split split : {Split::test, Split::val, Split::train})
    for (int64_t task = 0; task < source.num_tasks(); ++task) {
      const int64_t n = source.num_examples(task, split);
      const TaskBatch whole = source.task_examples(task, split, 0, n);
      ASSERT_EQ(whole.inputs.shape(), (Shape{1, n, kChannels, kHeight, kWidth}));
      EXPECT_EQ(whole.tasks, (std::vector<int64_t>{task}));
      EXPECT_TRUE(whole.slots.empty());
      check_batch(*store, source, whole);
      // Class by class ascending, positions ascending: exactly split_examples of each class.
      std::vector<int64_t> expected;
      int64_t first = 0;
      for (size_t c = 0; c < store->classes().size(); ++c) {
        const int64_t count = store->classes()[c].num_examples;
        if (store->classes()[c].domain == source.task_domain(task))
          for (int64_t p : split_examples(parts, static_cast<int64_t>(c), count, split))
            expected.push_back(first + p);
        first += count;
      }
      EXPECT_EQ(values<int64_t>(whole.example_ids), expected);
      // In pieces, the same.
      std::vector<int64_t> pieces;
      for (int64_t begin = 0; begin < n; begin += 5) {
        const TaskBatch piece = source.task_examples(task, split, begin, std::min(n, begin + 5));
        const auto ids = values<int64_t>(piece.example_ids);
        pieces.insert(pieces.end(), ids.begin(), ids.end());
      }
      EXPECT_EQ(pieces, expected);
    }
  EXPECT_EQ(source.task_examples(0, Split::test, 3, 3).inputs.shape(),
            (Shape{1, 0, kChannels, kHeight, kWidth}));
  EXPECT_THROW(source.task_examples(0, Split::test, 0, 9), std::out_of_range);
  EXPECT_THROW(source.task_examples(0, Split::test, 2, 1), std::out_of_range);
  EXPECT_THROW(source.task_examples(3, Split::test, 0, 1), std::out_of_range);
}

TEST_F(MultiTaskSourceTest, ParsesTaskSampling) {
  for (TaskSampling s : {TaskSampling::uniform, TaskSampling::size, TaskSampling::temperature})
    EXPECT_EQ(parse_task_sampling(to_string(s)), s);
  EXPECT_STREQ(to_string(TaskSampling::temperature), "temperature");
  try {
    parse_task_sampling("Uniform");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "--task-sampling: expected uniform, size or temperature, got 'Uniform'");
  }
}

TEST_F(MultiTaskSourceTest, ErrorsAreOneClearLine) {
  auto store = open();
  const std::string path = store_path_.string();
  MultiTaskSpec spec;
  spec.tasks = {"alpha", "Foo"};
  EXPECT_EQ(construction_error(store, spec), "--tasks: no writing system 'Foo' in store " + path);
  spec.tasks = {"alpha", "gamma", "alpha"};
  EXPECT_EQ(construction_error(store, spec), "--tasks: writing system 'alpha' is named twice");
  spec.tasks = {};
  spec.examples = 0;
  EXPECT_EQ(construction_error(store, spec), "--examples-per-task 0: must be >= 1");
  spec.examples = 22;  // gamma has 21 train examples
  EXPECT_EQ(construction_error(store, spec),
            "--examples-per-task 22: task 'gamma' has 21 train examples");
  spec.tasks = {"alpha", "beta"};
  EXPECT_EQ(construction_error(store, spec), "");
  spec.examples = 29;
  EXPECT_EQ(construction_error(store, spec),
            "--examples-per-task 29: task 'alpha' has 28 train examples");
  spec = {};
  for (double t : {0.0, -1.0})
    EXPECT_EQ(
        construction_error(store, {16, TaskSampling::temperature, t, {}, {}}),
        "--temperature " + std::string(t == 0 ? "0" : "-1") + ": must be a finite number > 0");
  EXPECT_EQ(
      construction_error(
          store, {16, TaskSampling::temperature, std::numeric_limits<double>::infinity(), {}, {}}),
      "--temperature inf: must be a finite number > 0");
  EXPECT_EQ(
      construction_error(
          store, {16, TaskSampling::temperature, std::numeric_limits<double>::quiet_NaN(), {}, {}}),
      "--temperature nan: must be a finite number > 0");
  // gamma's classes of 10 examples get 0 val examples under 1/1/18: floor(10*1/20) = 0.
  EXPECT_EQ(construction_error(store, {1, TaskSampling::uniform, 5.0, {1, 1, 18}, {}}),
            "--example-split 1/1/18: class 'gamma-0' of task 'gamma' has 10 examples, too few");
  EXPECT_EQ(construction_error(store, {1, TaskSampling::uniform, 5.0, {1, 0, 18}, {}}), "");

  // A validation step asking for more examples than a task has in val.
  MultiTaskSource source(store, {}, 0);
  std::string message;
  for (int64_t step = 0; step < 50 && message.empty(); ++step) try {
      source.sample(Split::val, step, {0, 1, 2});
    } catch (const std::invalid_argument& e) {
      message = e.what();
    }
  EXPECT_TRUE(message ==
                  "MultiTaskSource::sample: task 'alpha' has 4 val examples, fewer than "
                  "--examples-per-task 16" ||
              message ==
                  "MultiTaskSource::sample: task 'beta' has 10 val examples, fewer than "
                  "--examples-per-task 16" ||
              message ==
                  "MultiTaskSource::sample: task 'gamma' has 3 val examples, fewer than "
                  "--examples-per-task 16")
      << message;
}

TEST_F(MultiTaskSourceTest, ErrorsOfAStoreWithSmallTasks) {
  const fs::path path =
      write_store(root_ / "small", {{"one", Split::train, {20}},
                                    {"short", Split::train, {20, 3, 20}, {"a", "tiny", "b"}},
                                    {"fine", Split::test, {20, 20}}});
  auto store = Store::open(path);
  MultiTaskSpec spec;
  spec.examples = 4;
  EXPECT_EQ(construction_error(store, spec), "--tasks: writing system 'one' of store " +
                                                 path.string() +
                                                 " has 1 class, a task needs at least 2");
  spec.tasks = {"fine", "short"};
  EXPECT_EQ(construction_error(store, spec),
            "--example-split 14/2/4: class 'tiny' of task 'short' has 3 examples, too few");
  spec.parts = {3, 0, 0};  // every example train: 3 examples are enough
  EXPECT_EQ(construction_error(store, spec), "");
  spec.tasks = {"fine"};
  spec.parts = {};
  EXPECT_EQ(construction_error(store, spec), "");
}

}  // namespace
