// Episodes: determinism, rank-count independence, split hygiene, labels, rotations, errors.
#include "cezanne/data/EpisodeSampler.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "cezanne/data/Store.hpp"
#include "cezanne/data/StoreWriter.hpp"
#include "cezanne/dist/TaskPartition.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::data;

namespace {

constexpr int64_t kSide = 6;  // images 6x6x1
constexpr int64_t kPixels = kSide * kSide;

// Every image says where it came from: byte 0 = class, byte 1 = example, the rest an
// asymmetric pattern so that a rotation can be told apart from another.
void encode_image(uint8_t* out, int64_t class_index, int64_t example) {
  for (int64_t i = 0; i < kPixels; ++i) out[i] = static_cast<uint8_t>(100 + 3 * i + class_index);
  out[0] = static_cast<uint8_t>(class_index);
  out[1] = static_cast<uint8_t>(example);
}

struct ClassSpec {
  const char* domain;
  Split split;
  int classes;
  int examples;
};

// train: alpha 6, beta 6, gamma 3, delta 5 (20 classes); val: val-a 4 (class 'short' has 5
// examples); test: test-a 5, test-b 3. 12 examples per class otherwise.
fs::path write_test_store(const fs::path& dir) {
  const std::vector<ClassSpec> layout = {
      {"alpha", Split::train, 6, 12}, {"beta", Split::train, 6, 12}, {"gamma", Split::train, 3, 12},
      {"delta", Split::train, 5, 12}, {"val-a", Split::val, 4, 12},  {"test-a", Split::test, 5, 12},
      {"test-b", Split::test, 3, 12}};
  StoreWriter writer(dir, {kSide, kSide, 1}, {"test", "EpisodeSamplerTest", ""});
  int64_t class_index = 0;
  for (const auto& d : layout) {
    const int32_t domain = writer.add_domain(d.domain, d.split);
    for (int c = 0; c < d.classes; ++c, ++class_index) {
      const bool is_short = d.split == Split::val && c == 2;
      const int examples = is_short ? 5 : d.examples;
      std::vector<uint8_t> bytes(static_cast<size_t>(examples * kPixels));
      for (int e = 0; e < examples; ++e) encode_image(bytes.data() + e * kPixels, class_index, e);
      writer.add_class(domain, is_short ? "short" : std::string(d.domain) + "-" + std::to_string(c),
                       bytes.data(), examples);
    }
  }
  writer.finish();
  return dir;
}

uint8_t to_byte(float v) { return static_cast<uint8_t>(std::lround(v * 255.0f)); }

// Image i of a [n, 1, kSide, kSide] f32 tensor as bytes.
std::vector<uint8_t> image_bytes(const Tensor& images, int64_t i) {
  const float* p = images.data<float>() + i * kPixels;
  std::vector<uint8_t> out(kPixels);
  for (int64_t j = 0; j < kPixels; ++j) out[j] = to_byte(p[j]);
  return out;
}

// numpy.rot90(image, 1): out[y][x] = in[x][S-1-y]; applied k times. Written independently of the
// sampler.
std::vector<uint8_t> rot90(std::vector<uint8_t> image, int k) {
  for (int r = 0; r < ((k % 4) + 4) % 4; ++r) {
    std::vector<uint8_t> out(image.size());
    for (int64_t y = 0; y < kSide; ++y)
      for (int64_t x = 0; x < kSide; ++x) out[y * kSide + x] = image[x * kSide + (kSide - 1 - y)];
    image = out;
  }
  return image;
}

template <class T>
std::vector<T> values(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<T>(p, p + t.numel());
}

void expect_same(const Tensor& a, const Tensor& b, const std::string& what) {
  ASSERT_EQ(a.shape(), b.shape()) << what;
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  if (a.dtype() == DType::f32)
    EXPECT_EQ(values<float>(a), values<float>(b)) << what;
  else
    EXPECT_EQ(values<int64_t>(a), values<int64_t>(b)) << what;
}

void expect_same(const Episode& a, const Episode& b) {
  expect_same(a.support, b.support, "support");
  expect_same(a.support_labels, b.support_labels, "support_labels");
  expect_same(a.query, b.query, "query");
  expect_same(a.query_labels, b.query_labels, "query_labels");
  EXPECT_EQ(a.classes, b.classes);
  EXPECT_EQ(a.rotations, b.rotations);
  EXPECT_EQ(a.task_index, b.task_index);
}

// Row t of a batch tensor [T, ...] as a contiguous copy-free view.
Tensor row(const Tensor& batch, int64_t t) { return batch.select(0, t); }

template <class T>
std::vector<T> row_values(const Tensor& batch, int64_t t) {
  const int64_t per_row = batch.numel() / batch.size(0);
  const T* p = batch.data<T>() + t * per_row;
  return std::vector<T>(p, p + per_row);
}

class EpisodeSamplerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("cezanne-episode-test-" + std::to_string(::getpid()));
    fs::remove_all(root_);
    fs::create_directories(root_);
    store_path_ = write_test_store(root_ / "store");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static std::shared_ptr<Store> open() { return Store::open(store_path_); }

  static std::set<int64_t> split_classes(const Store& store, Split split) {
    const auto v = store.classes_in(split);
    return {v.begin(), v.end()};
  }

  // Checks one episode against the store: every image is an example of its label's class
  // (rotated by the label's rotation), labels are class-major, support and query disjoint.
  static void check_episode(const Store& store, const Episode& e, const EpisodeSpec& spec) {
    ASSERT_EQ(e.classes.size(), static_cast<size_t>(spec.ways));
    ASSERT_EQ(e.rotations.size(), static_cast<size_t>(spec.ways));
    ASSERT_EQ(e.support.shape(), (Shape{spec.ways * spec.shots, 1, kSide, kSide}));
    ASSERT_EQ(e.query.shape(), (Shape{spec.ways * spec.queries, 1, kSide, kSide}));
    const auto support_labels = values<int64_t>(e.support_labels);
    const auto query_labels = values<int64_t>(e.query_labels);
    std::set<std::pair<int64_t, int>> pairs;
    for (int l = 0; l < spec.ways; ++l) {
      EXPECT_TRUE(pairs.insert({e.classes[l], e.rotations[l]}).second)
          << "two labels share a (class, rotation)";
      std::set<int> examples;
      auto check_image = [&](const Tensor& images, int64_t i) {
        const auto back = rot90(image_bytes(images, i), -e.rotations[l]);
        EXPECT_EQ(back[0], e.classes[l]) << "image " << i << " of label " << l;
        std::vector<uint8_t> expected(kPixels);
        encode_image(expected.data(), e.classes[l], back[1]);
        EXPECT_EQ(back, expected) << "image " << i << " of label " << l << " rotated back";
        EXPECT_TRUE(examples.insert(back[1]).second)
            << "example " << int(back[1]) << " drawn twice";
      };
      for (int s = 0; s < spec.shots; ++s) {
        EXPECT_EQ(support_labels[l * spec.shots + s], l);
        check_image(e.support, l * spec.shots + s);
      }
      for (int q = 0; q < spec.queries; ++q) {
        EXPECT_EQ(query_labels[l * spec.queries + q], l);
        check_image(e.query, l * spec.queries + q);
      }
      EXPECT_EQ(examples.size(), static_cast<size_t>(spec.shots + spec.queries));
      if (!spec.rotations) {
        EXPECT_EQ(e.rotations[l], 0);
      }
    }
    if (spec.within_domain) {
      std::set<int32_t> domains;
      for (int64_t c : e.classes) domains.insert(store.classes()[c].domain);
      EXPECT_EQ(domains.size(), 1u);
    }
  }

  static fs::path root_, store_path_;
};
fs::path EpisodeSamplerTest::root_, EpisodeSamplerTest::store_path_;

TEST(OwnedTasksTest, ContiguousBlocksCoverTheMetaBatch) {
  for (int64_t meta_batch : {0, 1, 2, 5, 7, 8, 16, 33})
    for (int world = 1; world <= 9; ++world) {
      std::vector<int64_t> all;
      for (int rank = 0; rank < world; ++rank) {
        const auto mine = owned_tasks(meta_batch, rank, world);
        const int64_t expected = meta_batch / world + (rank < meta_batch % world ? 1 : 0);
        EXPECT_EQ(static_cast<int64_t>(mine.size()), expected)
            << meta_batch << " " << rank << "/" << world;
        all.insert(all.end(), mine.begin(), mine.end());
      }
      ASSERT_EQ(static_cast<int64_t>(all.size()), meta_batch);
      for (int64_t i = 0; i < meta_batch; ++i) EXPECT_EQ(all[i], i);
    }
  EXPECT_EQ(owned_tasks(10, 1, 4), (std::vector<int64_t>{3, 4, 5}));
  EXPECT_EQ(owned_tasks(10, 3, 4), (std::vector<int64_t>{8, 9}));
}

TEST(OwnedTasksTest, RejectsBadRanks) {
  EXPECT_THROW(owned_tasks(4, 0, 0), std::invalid_argument);
  EXPECT_THROW(owned_tasks(4, 2, 2), std::invalid_argument);
  EXPECT_THROW(owned_tasks(4, -1, 2), std::invalid_argument);
  EXPECT_THROW(owned_tasks(-1, 0, 2), std::invalid_argument);
}

TEST_F(EpisodeSamplerTest, EpisodesAreWellFormed) {
  auto store = open();
  for (bool within : {false, true})
    for (bool rotations : {false, true}) {
      EpisodeSpec spec{5, 2, 3, within, true, rotations};
      EpisodeSampler sampler(store, Split::train, spec, 11);
      for (int64_t t = 0; t < 40; ++t) {
        SCOPED_TRACE("within " + std::to_string(within) + " rotations " +
                     std::to_string(rotations) + " task " + std::to_string(t));
        const Episode e = sampler.sample(3, t);
        EXPECT_EQ(e.task_index, t);
        check_episode(*store, e, spec);
      }
    }
}

TEST_F(EpisodeSamplerTest, ValuesAreBytesOver255) {
  auto store = open();
  EpisodeSampler sampler(store, Split::train, {3, 1, 0}, 1);
  const Episode e = sampler.sample(0, 0);
  const float* p = e.support.data<float>();
  for (int64_t i = 0; i < e.support.numel(); ++i) {
    EXPECT_GE(p[i], 0.0f);
    EXPECT_LE(p[i], 1.0f);
    EXPECT_EQ(p[i], static_cast<float>(to_byte(p[i])) / 255.0f);
  }
  EXPECT_EQ(e.query.shape(), (Shape{0, 1, kSide, kSide}));
}

TEST_F(EpisodeSamplerTest, IsAPureFunctionOfSeedSplitStepAndTask) {
  const EpisodeSpec spec{5, 1, 4, false, true, true};
  EpisodeSampler a(open(), Split::train, spec, 42);
  EpisodeSampler b(open(), Split::train, spec, 42);  // another store handle: a restart
  // Different order of calls, same answers.
  const Episode a1 = a.sample(7, 3), a2 = a.sample(8, 0);
  const Episode b2 = b.sample(8, 0), b1 = b.sample(7, 3);
  expect_same(a1, b1);
  expect_same(a2, b2);
  expect_same(a1, a.sample(7, 3));

  // Each of seed, step and task index changes the episode.
  EpisodeSampler other_seed(open(), Split::train, spec, 43);
  auto differs = [&](const Episode& x, const Episode& y) {
    return x.classes != y.classes || x.rotations != y.rotations ||
           values<float>(x.support) != values<float>(y.support);
  };
  EXPECT_TRUE(differs(a1, other_seed.sample(7, 3)));
  EXPECT_TRUE(differs(a1, a.sample(6, 3)));
  EXPECT_TRUE(differs(a1, a.sample(7, 4)));
}

TEST_F(EpisodeSamplerTest, BatchRowsAreTheEpisodes) {
  EpisodeSampler sampler(open(), Split::train, {4, 2, 3}, 5);
  const std::vector<int64_t> tasks = {9, 2, 5};
  const EpisodeBatch batch = sampler.sample_batch(12, tasks);
  EXPECT_EQ(batch.task_indices, tasks);
  EXPECT_EQ(batch.step, 12);
  ASSERT_EQ(batch.support.shape(), (Shape{3, 8, 1, kSide, kSide}));
  ASSERT_EQ(batch.query.shape(), (Shape{3, 12, 1, kSide, kSide}));
  ASSERT_EQ(batch.support_labels.shape(), (Shape{3, 8}));
  ASSERT_EQ(batch.query_labels.shape(), (Shape{3, 12}));
  for (int64_t t = 0; t < 3; ++t) {
    const Episode e = sampler.sample(12, tasks[t]);
    EXPECT_EQ(row_values<float>(batch.support, t), values<float>(e.support));
    EXPECT_EQ(row_values<float>(batch.query, t), values<float>(e.query));
    EXPECT_EQ(row_values<int64_t>(batch.support_labels, t), values<int64_t>(e.support_labels));
    EXPECT_EQ(row_values<int64_t>(batch.query_labels, t), values<int64_t>(e.query_labels));
    EXPECT_EQ(row(batch.support, t).shape(), e.support.shape());
  }
  const EpisodeBatch empty = sampler.sample_batch(12, {});
  EXPECT_EQ(empty.support.shape(), (Shape{0, 8, 1, kSide, kSide}));
}

TEST_F(EpisodeSamplerTest, SameTasksOnAnyNumberOfRanks) {
  EpisodeSampler sampler(open(), Split::train, {5, 1, 2, false, true, true}, 2024);
  constexpr int64_t kMetaBatch = 7;
  for (int64_t step : {0, 1, 1000}) {
    std::vector<int64_t> all(kMetaBatch);
    for (int64_t i = 0; i < kMetaBatch; ++i) all[i] = i;
    const EpisodeBatch single = sampler.sample_batch(step, all);
    for (int world = 1; world <= 4; ++world) {
      std::vector<int64_t> seen;
      for (int rank = 0; rank < world; ++rank) {
        // A rank builds its own sampler, as a separate process would.
        EpisodeSampler rank_sampler(open(), Split::train, {5, 1, 2, false, true, true}, 2024);
        const EpisodeBatch part =
            rank_sampler.sample_batch(step, owned_tasks(kMetaBatch, rank, world));
        for (size_t r = 0; r < part.task_indices.size(); ++r) {
          const int64_t t = part.task_indices[r];
          SCOPED_TRACE("step " + std::to_string(step) + " world " + std::to_string(world) +
                       " task " + std::to_string(t));
          EXPECT_EQ(row_values<float>(part.support, r), row_values<float>(single.support, t));
          EXPECT_EQ(row_values<float>(part.query, r), row_values<float>(single.query, t));
          EXPECT_EQ(row_values<int64_t>(part.support_labels, r),
                    row_values<int64_t>(single.support_labels, t));
          EXPECT_EQ(row_values<int64_t>(part.query_labels, r),
                    row_values<int64_t>(single.query_labels, t));
          seen.push_back(t);
        }
      }
      EXPECT_EQ(seen, all) << "world " << world;
    }
  }
}

TEST_F(EpisodeSamplerTest, TrainEpisodesNeverShowTestClasses) {
  auto store = open();
  const auto train = split_classes(*store, Split::train);
  const auto held_out = split_classes(*store, Split::test);
  ASSERT_FALSE(held_out.empty());
  for (bool within : {false, true}) {
    EpisodeSampler sampler(store, Split::train, {5, 1, 1, within, true, true}, 7);
    std::set<int64_t> met;
    for (int64_t i = 0; i < 1000; ++i) {
      const Episode e = sampler.sample(i / 8, i % 8);
      for (int64_t c : e.classes) {
        ASSERT_TRUE(train.count(c)) << "class " << c << " is not a train class";
        met.insert(c);
      }
      // What the pixels say, not only what the sampler says.
      for (int64_t j = 0; j < e.support.size(0); ++j) {
        const int k = e.rotations[values<int64_t>(e.support_labels)[j]];
        const int64_t c = rot90(image_bytes(e.support, j), -k)[0];
        ASSERT_TRUE(train.count(c) && !held_out.count(c)) << "image of class " << c;
      }
    }
    EXPECT_EQ(met, train) << "1000 episodes should meet every train class";
  }
  // And the test split samples only test classes.
  EpisodeSampler test_sampler(store, Split::test, {5, 1, 1}, 7);
  for (int64_t i = 0; i < 100; ++i)
    for (int64_t c : test_sampler.sample(0, i).classes) EXPECT_TRUE(held_out.count(c));
}

TEST_F(EpisodeSamplerTest, ShuffledLabelsChangeAcrossEpisodes) {
  // test split, 5-way within one domain: only test-a (5 classes) qualifies, so every
  // episode has the same classes and only the labelling can change.
  auto store = open();
  const auto test_a = store->classes_in(Split::test, store->domains_in(Split::test)[0]);
  ASSERT_EQ(test_a.size(), 5u);
  EpisodeSampler shuffled(store, Split::test, {5, 1, 1, true, true}, 3);
  std::set<std::vector<int64_t>> labellings;
  std::map<int64_t, std::set<int>> labels_of_class;
  for (int64_t i = 0; i < 60; ++i) {
    const Episode e = shuffled.sample(i, 0);
    std::vector<int64_t> sorted = e.classes;
    std::sort(sorted.begin(), sorted.end());
    ASSERT_EQ(sorted, test_a);
    labellings.insert(e.classes);
    for (int l = 0; l < 5; ++l) labels_of_class[e.classes[l]].insert(l);
    // The pixels agree with the labelling.
    for (int l = 0; l < 5; ++l) EXPECT_EQ(image_bytes(e.support, l)[0], e.classes[l]);
  }
  EXPECT_GT(labellings.size(), 30u) << "60 episodes should give many of the 120 labellings";
  for (const auto& [c, labels] : labels_of_class) EXPECT_EQ(labels.size(), 5u) << "class " << c;

  // Shuffling off: the label of a class is its rank among the chosen classes, every episode.
  EpisodeSampler fixed(store, Split::test, {5, 1, 1, true, false}, 3);
  for (int64_t i = 0; i < 60; ++i) EXPECT_EQ(fixed.sample(i, 0).classes, test_a);
  EpisodeSampler fixed_train(store, Split::train, {5, 1, 1, false, false}, 3);
  for (int64_t i = 0; i < 60; ++i) {
    const auto classes = fixed_train.sample(i, 1).classes;
    EXPECT_TRUE(std::is_sorted(classes.begin(), classes.end()));
  }
}

TEST_F(EpisodeSamplerTest, RotationsAreNewClasses) {
  // test split has 8 classes: 12-way needs rotations, and then a class appears under
  // several rotations in one episode, each its own label.
  auto store = open();
  const EpisodeSpec spec{12, 1, 2, false, true, true};
  EpisodeSampler sampler(store, Split::test, spec, 9);
  std::set<int> rotations_seen;
  for (int64_t i = 0; i < 50; ++i) {
    const Episode e = sampler.sample(0, i);
    check_episode(*store, e, spec);  // rotates each image back and compares with the store's bytes
    rotations_seen.insert(e.rotations.begin(), e.rotations.end());
  }
  EXPECT_EQ(rotations_seen, (std::set<int>{0, 1, 2, 3}));

  // One rotation by hand: a label with k = 1 holds numpy.rot90(store image, 1).
  int checked = 0;
  for (int64_t i = 0; i < 10 && checked == 0; ++i) {
    const Episode e = sampler.sample(1, i);
    for (int l = 0; l < 12; ++l) {
      if (e.rotations[l] != 1) continue;
      const auto image = image_bytes(e.support, l);
      const int example = rot90(image, -1)[1];
      const auto stored = store->read_class(e.classes[l]);
      const uint8_t* original = stored->data() + example * kPixels;
      for (int64_t y = 0; y < kSide; ++y)
        for (int64_t x = 0; x < kSide; ++x)
          EXPECT_EQ(image[y * kSide + x], original[x * kSide + kSide - 1 - y])
              << "(" << y << ", " << x << ")";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

TEST_F(EpisodeSamplerTest, ChannelsComeFirst) {
  // H=3, W=5, C=2: byte (y, x, c) of the store becomes element [c, y, x].
  const fs::path dir = root_ / "channels";
  {
    StoreWriter writer(dir, {3, 5, 2}, {"test", "ChannelsComeFirst", ""});
    const int32_t d = writer.add_domain("d", Split::train);
    std::vector<uint8_t> bytes(2 * 30);
    for (int64_t c = 0; c < 2; ++c) {
      for (int64_t e = 0; e < 2; ++e)
        for (int64_t i = 0; i < 30; ++i)
          bytes[e * 30 + i] = static_cast<uint8_t>(100 * c + 40 * e + i);
      writer.add_class(d, "c" + std::to_string(c), bytes.data(), 2);
    }
    writer.finish();
  }
  EpisodeSampler sampler(Store::open(dir), Split::train, {2, 1, 1, false, false}, 0);
  const Episode e = sampler.sample(0, 0);
  ASSERT_EQ(e.support.shape(), (Shape{2, 2, 3, 5}));
  for (int64_t n = 0; n < 2; ++n) {
    const float* img = e.support.data<float>() + n * 30;
    const int64_t example = (to_byte(img[0]) - 100 * e.classes[n]) / 40;
    for (int64_t ch = 0; ch < 2; ++ch)
      for (int64_t y = 0; y < 3; ++y)
        for (int64_t x = 0; x < 5; ++x)
          EXPECT_EQ(to_byte(img[ch * 15 + y * 5 + x]),
                    100 * e.classes[n] + 40 * example + (y * 5 + x) * 2 + ch);
  }
  EXPECT_THROW(EpisodeSampler(Store::open(dir), Split::train, {2, 1, 1, false, false, true}, 0),
               std::invalid_argument);
}

// The message of the std::invalid_argument the constructor throws ("" if none).
std::string construction_error(std::shared_ptr<Store> store, Split split, EpisodeSpec spec) {
  try {
    EpisodeSampler sampler(std::move(store), split, spec, 0);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST_F(EpisodeSamplerTest, TooManyWaysIsAClearError) {
  auto store = open();
  const std::string where = "EpisodeSampler: store '" + store_path_.string() + "' split 'test': ";
  EXPECT_EQ(construction_error(store, Split::test, {9, 1, 1}),
            where + "9-way episodes need 9 classes, the split has 8 classes");
  EXPECT_EQ(construction_error(store, Split::test, {33, 1, 1, false, true, true}),
            where + "33-way episodes need 33 classes, the split has 8 classes (32 with rotations)");
  EXPECT_EQ(construction_error(store, Split::test, {6, 1, 1, true}),
            where +
                "6-way episodes within one domain need a domain with 6 classes; the split has 2 "
                "domains, the "
                "largest ('test-a') has 5 classes");
  EXPECT_EQ(construction_error(store, Split::test, {8, 1, 1}), "");
  EXPECT_EQ(construction_error(store, Split::test, {6, 1, 1, true, true, true}),
            "");  // 20 with rotations
  EXPECT_NE(construction_error(store, Split::train, {0, 1, 1}).find("ways must be >= 1, got 0"),
            std::string::npos);
  EXPECT_NE(construction_error(store, Split::train, {5, 0, 1}).find("shots must be >= 1, got 0"),
            std::string::npos);
}

TEST_F(EpisodeSamplerTest, TooFewExamplesIsAClearError) {
  auto store = open();
  const auto val = store->classes_in(Split::val);
  int64_t short_class = -1;
  for (int64_t c : val)
    if (store->classes()[c].name == "short") short_class = c;
  ASSERT_GE(short_class, 0);
  EXPECT_EQ(construction_error(store, Split::val, {2, 2, 4}),
            "EpisodeSampler: store '" + store_path_.string() + "' split 'val': class " +
                std::to_string(short_class) +
                " ('short') has 5 examples, fewer than shots+queries = 2+4 = 6");
  EXPECT_EQ(construction_error(store, Split::val, {2, 1, 4}), "");  // 5 is enough
  const std::string many = construction_error(store, Split::train, {2, 5, 8});
  EXPECT_NE(many.find("has 12 examples, fewer than shots+queries = 5+8 = 13 (20 classes of the "
                      "split are that short)"),
            std::string::npos)
      << many;
}

TEST_F(EpisodeSamplerTest, BenchCommandPrintsColdAndWarm) {
  const char* binary = std::getenv("CEZANNE_BINARY");
#ifdef CEZANNE_TEST_BINARY
  if (!binary) binary = CEZANNE_TEST_BINARY;
#endif
  if (!binary) GTEST_SKIP() << "CEZANNE_BINARY not set";
  const std::string command = std::string(binary) + " bench sampler --store " +
                              store_path_.string() +
                              " --ways 5 --shots 1 --queries 3 --episodes 50 --threads 2 2>&1";
  FILE* pipe = ::popen(command.c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string out;
  char buffer[4096];
  while (size_t n = std::fread(buffer, 1, sizeof buffer, pipe)) out.append(buffer, n);
  EXPECT_EQ(::pclose(pipe), 0) << out;
  EXPECT_NE(out.find("{\"bench\":\"sampler\",\"mode\":\"cold\",\"episodes_per_s\":"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("{\"bench\":\"sampler\",\"mode\":\"warm\",\"episodes_per_s\":"),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("\"ways\":5,\"shots\":1,\"queries\":3"), std::string::npos) << out;
}

}  // namespace
