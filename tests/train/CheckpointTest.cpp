// Checkpoints: exact round trips, atomic replacement, pruning, damage detection and fallback,
// clear errors, and files h5py reads.
#include "cezanne/train/Checkpoint.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <hdf5.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>

#include "H5py.hpp"

namespace fs = std::filesystem;
using namespace cz;
using namespace cz::train;
using ::testing::HasSubstr;
using ::testing::StartsWith;

namespace {

constexpr int64_t kBig = 4096;  // elements of the recognisable parameter "big"

/// Bytes of a tensor's elements in row-major order.
std::string bytes_of(const Tensor& t) {
  const Tensor c = t.contiguous();
  return std::string(static_cast<const char*>(c.raw_data()),
                     static_cast<size_t>(c.numel()) * dtype_size(c.dtype()));
}

/// Values no other dataset of the file contains, so their bytes locate the tensor's data.
Tensor big_tensor() {
  std::vector<double> values(kBig);
  for (int64_t i = 0; i < kBig; ++i) values[i] = 1e6 + static_cast<double>(i) * 0.318309886;
  return Tensor::from(values, {kBig}, DType::f64);
}

/// A checkpoint with every kind of field: f32, f64 and i64 tensors, a 0-d and an empty one,
/// special float values, a seed above 2^63, UTF-8 and empty strings, names out of order.
Checkpoint sample(int64_t step) {
  Checkpoint c;
  c.step = step;
  c.seed = 0xFEDCBA9876543210ull;
  c.ranks = 4;
  c.algorithm = "protonet";
  c.model = "conv4 filters=64 channels=1 image=28 ways=5";
  c.version = "v0.3-12-gabcdef \xc3\xa9";
  c.config = {{"ways", "5"}, {"shots", "1"}, {"empty", ""}, {"alpha", "0.5"}};
  std::vector<float> w(12);
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<float>(i) * 0.1f - 0.55f;
  w[0] = -0.0f;
  w[1] = std::numeric_limits<float>::denorm_min();
  w[2] = std::numeric_limits<float>::infinity();
  w[3] = std::numeric_limits<float>::quiet_NaN();
  c.params = {
      {"head.weight", Tensor::from_f32(w, {3, 4})},
      {"block0.conv.bias", Tensor::normal({2, 3, 5}, 0.0, 1.0, 7, 0, DType::f64)},
      {"lstm.weight_ih", Tensor::normal({4, 3}, 0.0, 1.0, 9).transpose(0, 1)},  // not contiguous
      {"counts", Tensor::from_i64({std::numeric_limits<int64_t>::min(), -1, 0, 1,
                                   std::numeric_limits<int64_t>::max()},
                                  {5})},
      {"scale", Tensor::scalar(2.5, DType::f64)},
      {"unused", Tensor::zeros({0, 3})},
      {"big", big_tensor()},
  };
  c.optimizer = "Adam";
  c.optimizer_steps = step * 3;
  c.optimizer_state = {{"exp_avg", Tensor::uniform({40}, -1.0, 1.0, 11)},
                       {"exp_avg_sq", Tensor::uniform({40}, 0.0, 1.0, 12)},
                       {"step", Tensor::from_i64({3, 3, 0, 3, 3, 3, 3}, {7})}};
  return c;
}

void expect_same_entries(const std::vector<std::pair<std::string, Tensor>>& got,
                         const std::vector<std::pair<std::string, Tensor>>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(want[i].first);
    EXPECT_EQ(got[i].first, want[i].first);
    EXPECT_EQ(got[i].second.dtype(), want[i].second.dtype());
    EXPECT_EQ(got[i].second.shape(), want[i].second.shape());
    EXPECT_TRUE(got[i].second.device().is_cpu());
    EXPECT_EQ(bytes_of(got[i].second), bytes_of(want[i].second));
  }
}

void expect_same(const Checkpoint& got, const Checkpoint& want) {
  EXPECT_EQ(got.step, want.step);
  EXPECT_EQ(got.seed, want.seed);
  EXPECT_EQ(got.ranks, want.ranks);
  EXPECT_EQ(got.algorithm, want.algorithm);
  EXPECT_EQ(got.model, want.model);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.config, want.config);
  expect_same_entries(got.params, want.params);
  EXPECT_EQ(got.optimizer, want.optimizer);
  EXPECT_EQ(got.optimizer_steps, want.optimizer_steps);
  expect_same_entries(got.optimizer_state, want.optimizer_state);
  expect_same_entries(got.state, want.state);
  ASSERT_EQ(got.store.has_value(), want.store.has_value());
  if (!want.store) return;
  EXPECT_EQ(got.store->path, want.store->path);
  EXPECT_EQ(data::image_shape_str(got.store->shape), data::image_shape_str(want.store->shape));
  EXPECT_EQ(got.store->examples_sha256, want.store->examples_sha256);
  ASSERT_EQ(got.store->ink.has_value(), want.store->ink.has_value());
  if (want.store->ink) {
    EXPECT_EQ(got.store->ink->pixel_mean, want.store->ink->pixel_mean);
    EXPECT_EQ(got.store->ink->border_mean, want.store->ink->border_mean);
  }
}

std::vector<char> slurp(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

/// XORs `count` bytes at `at` bytes into the first occurrence of `pattern`; false if absent.
bool damage_at(const fs::path& file, const std::string& pattern, size_t at, size_t count) {
  auto bytes = slurp(file);
  const auto it = std::search(bytes.begin(), bytes.end(), pattern.begin(), pattern.end());
  if (it == bytes.end()) return false;
  const size_t pos = static_cast<size_t>(it - bytes.begin()) + at;
  for (size_t i = pos; i < pos + count; ++i) bytes[i] = static_cast<char>(bytes[i] ^ 0x5A);
  std::ofstream(file, std::ios::binary | std::ios::trunc).write(bytes.data(), bytes.size());
  return true;
}

std::string read_error(const fs::path& file) {
  try {
    read_checkpoint(file);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string write_error(const fs::path& file, const Checkpoint& c) {
  try {
    write_checkpoint(file, c);
  } catch (const CheckpointError& e) {
    return e.what();
  }
  return "(no error)";
}

std::vector<std::string> names_in(const fs::path& dir) {
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  return names;
}

class CheckpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("cz-checkpoint-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  /// A run directory with checkpoints of steps 1 and 2 (keep 3).
  CheckpointDir two_checkpoints() {
    CheckpointDir dir(root_ / "run", 3);
    dir.save(sample(1));
    dir.save(sample(2));
    return dir;
  }

  /// load_newest on a directory whose step-2 checkpoint is damaged: step 1, one warning.
  void expect_fallback_to_step_1(const CheckpointDir& dir) {
    const fs::path newest = dir.dir() / "checkpoint-00000002.h5";
    std::vector<std::string> warnings;
    const auto loaded = dir.load_newest(&warnings);
    ASSERT_TRUE(loaded.has_value());
    EXPECT_EQ(loaded->first, dir.dir() / "checkpoint-00000001.h5");
    expect_same(loaded->second, sample(1));
    ASSERT_EQ(warnings.size(), 1u);
    EXPECT_THAT(warnings[0], StartsWith(newest.string() + ": damaged checkpoint ("));
    EXPECT_THAT(warnings[0], HasSubstr("); using the previous one"));
    EXPECT_EQ(warnings[0].find('\n'), std::string::npos);
  }

  fs::path root_;
};

}  // namespace

TEST_F(CheckpointTest, RoundTripsEveryFieldBitwise) {
  const fs::path file = root_ / "c.h5";
  const Checkpoint c = sample(123);
  write_checkpoint(file, c);
  const Checkpoint back = read_checkpoint(file);
  expect_same(back, c);
  EXPECT_EQ(back.params[4].second.dim(), 0);  // "scale" stays 0-d
  EXPECT_TRUE(std::isnan(back.params[0].second.at({0, 3})));
}

TEST_F(CheckpointTest, RoundTripsTheTrainingStoreAndItsChecksumCoversIt) {
  const fs::path file = root_ / "store.h5";
  Checkpoint c = sample(7);
  c.store = data::StoreFingerprint{"data/glyphs", {28, 28, 1}, data::InkStats{0.152921, 0.00103498},
                                   "5706ea773eb6feea6ab644190ca850415db0fcbd3031d2114a7dcd9cf583042e"};
  write_checkpoint(file, c);
  expect_same(read_checkpoint(file), c);
  c.store->ink.reset();  // a store written before it recorded InkStats
  write_checkpoint(file, c);
  expect_same(read_checkpoint(file), c);
  ASSERT_TRUE(damage_at(file, "5706ea773eb6feea", 3, 1));
  EXPECT_THAT(read_error(file), StartsWith(file.string() + ": damaged checkpoint: content checksum mismatch"));
}

// An objective's persistent state (the worst-task weights) comes back bitwise, and the content
// checksum covers it: one flipped bit of a weight is a damaged checkpoint.
TEST_F(CheckpointTest, RoundTripsTheObjectiveStateAndItsChecksumCoversIt) {
  const fs::path file = root_ / "state.h5";
  Checkpoint c = sample(9);
  const double marker = 0.123456789012345;  // bytes to find in the file
  c.state = {{"worst_task.weights", Tensor::from({marker, 1 - marker}, {2}, DType::f64)},
             {"worst_task.seen", Tensor::from({1, 1}, {2}, DType::f64)}};
  write_checkpoint(file, c);
  expect_same(read_checkpoint(file), c);
  std::string pattern(sizeof marker, '\0');
  std::memcpy(pattern.data(), &marker, sizeof marker);
  ASSERT_TRUE(damage_at(file, pattern, 2, 1));
  EXPECT_THAT(read_error(file), StartsWith(file.string() + ": damaged checkpoint: "));
}

TEST_F(CheckpointTest, EmptyCheckpointRoundTrips) {
  const fs::path file = root_ / "empty.h5";
  write_checkpoint(file, Checkpoint{});
  expect_same(read_checkpoint(file), Checkpoint{});
}

TEST_F(CheckpointTest, WriteReplacesAtomicallyAndLeavesNoTemporary) {
  const fs::path file = root_ / "c.h5";
  write_checkpoint(file, sample(1));
  write_checkpoint(file, sample(2));
  EXPECT_EQ(read_checkpoint(file).step, 2);
  EXPECT_EQ(names_in(root_), std::vector<std::string>{"c.h5"});
}

TEST_F(CheckpointTest, FailedWriteKeepsTheExistingFileAndRemovesTheTemporary) {
  const fs::path file = root_ / "c.h5";
  write_checkpoint(file, sample(1));
  Checkpoint bad = sample(2);
  bad.params.emplace_back(".", Tensor::zeros({2}));  // HDF5 refuses this link name mid-write
  EXPECT_THAT(write_error(file, bad), StartsWith(file.string() + ": cannot write checkpoint: "));
  expect_same(read_checkpoint(file), sample(1));
  EXPECT_EQ(names_in(root_), std::vector<std::string>{"c.h5"});
}

TEST_F(CheckpointTest, InvalidContentIsRefusedBeforeWriting) {
  const fs::path file = root_ / "c.h5";
  Checkpoint slash = sample(1);
  slash.params.emplace_back("block0/conv.weight", Tensor::zeros({2}));
  EXPECT_THAT(write_error(file, slash), HasSubstr("'block0/conv.weight' is empty or has '/'"));
  Checkpoint twice = sample(1);
  twice.optimizer_state.emplace_back("exp_avg", Tensor::zeros({2}));
  EXPECT_THAT(write_error(file, twice), HasSubstr("optimizer state name 'exp_avg' appears twice"));
  Checkpoint undefined = sample(1);
  undefined.params.emplace_back("w", Tensor());
  EXPECT_THAT(write_error(file, undefined), HasSubstr("parameter 'w' is undefined"));
  Checkpoint negative = sample(-1);
  EXPECT_EQ(write_error(file, negative), file.string() + ": cannot write checkpoint: step -1 < 0");
  EXPECT_TRUE(names_in(root_).empty());
}

TEST_F(CheckpointTest, WriteIntoMissingOrNonDirectoryNamesThePath) {
  const fs::path missing = root_ / "missing" / "c.h5";
  EXPECT_EQ(write_error(missing, sample(1)), missing.string() + ": cannot write checkpoint: " +
                                                 (root_ / "missing").string() + " does not exist");
  std::ofstream(root_ / "regular") << "a file";
  const fs::path under_file = root_ / "regular" / "c.h5";
  EXPECT_EQ(write_error(under_file, sample(1)),
            under_file.string() + ": cannot write checkpoint: " + (root_ / "regular").string() +
                " is not a directory");
  EXPECT_EQ(names_in(root_), std::vector<std::string>{"regular"});
}

TEST_F(CheckpointTest, KeepTwoLeavesTheTwoNewest) {
  CheckpointDir dir(root_ / "run", 2);  // save() creates the directory
  std::vector<fs::path> saved;
  for (int64_t step : {10, 20, 30, 40}) saved.push_back(dir.save(sample(step)));
  EXPECT_EQ(saved[3], root_ / "run" / "checkpoint-00000040.h5");
  EXPECT_EQ(names_in(root_ / "run"),
            (std::vector<std::string>{"checkpoint-00000030.h5", "checkpoint-00000040.h5"}));
  EXPECT_EQ(dir.list(), (std::vector<fs::path>{saved[3], saved[2]}));
  const auto loaded = dir.load_newest();
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->first, saved[3]);
  expect_same(loaded->second, sample(40));
}

TEST_F(CheckpointTest, ListOrdersByStepAndIgnoresOtherNames) {
  CheckpointDir dir(root_, 5);
  for (const char* name :
       {"checkpoint-00000009.h5", "checkpoint-100000000.h5", "checkpoint-00000010.h5",
        "checkpoint-00000011.h5.tmp-42", "checkpoint-12.h5", "checkpoint--0000001.h5", "notes.txt"})
    std::ofstream(root_ / name) << "x";
  fs::create_directories(root_ / "checkpoint-00000099.h5");
  EXPECT_EQ(dir.list(), (std::vector<fs::path>{root_ / "checkpoint-100000000.h5",
                                               root_ / "checkpoint-00000010.h5",
                                               root_ / "checkpoint-00000009.h5"}));
  EXPECT_TRUE(CheckpointDir(root_ / "nowhere", 1).list().empty());
  EXPECT_FALSE(CheckpointDir(root_ / "nowhere", 1).load_newest().has_value());
  EXPECT_THROW(CheckpointDir(root_, 0), std::invalid_argument);
}

TEST_F(CheckpointTest, SaveKeepsTheFileJustWrittenOverANewerStep) {
  // A run resumed from step 100 because step 200 was damaged: with keep 1 the new step-150
  // file must survive, and the stale step-200 file goes.
  CheckpointDir dir(root_, 1);
  dir.save(sample(100));
  dir.save(sample(200));
  const fs::path written = dir.save(sample(150));
  EXPECT_EQ(dir.list(), std::vector<fs::path>{written});
}

TEST_F(CheckpointTest, FlippedTensorBytesAreDetectedAndTheRunFallsBack) {
  const CheckpointDir dir = two_checkpoints();
  const fs::path newest = dir.dir() / "checkpoint-00000002.h5";
  const std::string big = bytes_of(big_tensor());
  ASSERT_TRUE(damage_at(newest, big.substr(big.size() / 2, 64), 16, 4));
  const std::string error = read_error(newest);
  EXPECT_THAT(error, StartsWith(newest.string() + ": damaged checkpoint: /params/big: "));
  EXPECT_THAT(error, HasSubstr("checksum mismatch or corrupt data"));
  expect_fallback_to_step_1(dir);
}

TEST_F(CheckpointTest, TruncatedFileIsDetectedAndTheRunFallsBack) {
  const CheckpointDir dir = two_checkpoints();
  const fs::path newest = dir.dir() / "checkpoint-00000002.h5";
  fs::resize_file(newest, fs::file_size(newest) / 2);
  EXPECT_THAT(read_error(newest), StartsWith(newest.string() + ": damaged checkpoint: "));
  expect_fallback_to_step_1(dir);
}

TEST_F(CheckpointTest, ContentChecksumCatchesDamageOutsideTheDatasets) {
  // Attributes carry no Fletcher32; the content CRC covers them.
  const CheckpointDir dir = two_checkpoints();
  const fs::path newest = dir.dir() / "checkpoint-00000002.h5";
  ASSERT_TRUE(damage_at(newest, "conv4 filters=64", 6, 1));
  EXPECT_THAT(read_error(newest),
              StartsWith(newest.string() + ": damaged checkpoint: content checksum mismatch"));
  expect_fallback_to_step_1(dir);
}

TEST_F(CheckpointTest, AllDamagedGivesNothingAndAWarningEach) {
  const CheckpointDir dir = two_checkpoints();
  for (const auto& file : dir.list()) fs::resize_file(file, 100);
  std::vector<std::string> warnings;
  EXPECT_FALSE(dir.load_newest(&warnings).has_value());
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_THAT(warnings[0], StartsWith((dir.dir() / "checkpoint-00000002.h5").string() +
                                      ": damaged checkpoint ("));
  EXPECT_THAT(warnings[0], HasSubstr("; using the previous one"));
  EXPECT_THAT(warnings[1], StartsWith((dir.dir() / "checkpoint-00000001.h5").string() +
                                      ": damaged checkpoint ("));
  EXPECT_THAT(warnings[1], HasSubstr("; no older checkpoint left"));
}

TEST_F(CheckpointTest, FilesThatAreNotCheckpoints) {
  const fs::path text = root_ / "text.h5";
  std::ofstream(text) << "this is not HDF5, just some text that is long enough to look like a file";
  EXPECT_EQ(read_error(text), text.string() + ": not a cezanne checkpoint (not an HDF5 file)");

  const fs::path plain = root_ / "plain.h5";
  H5Fclose(H5Fcreate(plain.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  EXPECT_THAT(read_error(plain), StartsWith(plain.string() + ": not a cezanne checkpoint"));

  const fs::path empty = root_ / "empty.h5";
  std::ofstream{empty};
  EXPECT_EQ(read_error(empty), empty.string() + ": damaged checkpoint: empty file");

  const fs::path missing = root_ / "missing.h5";
  EXPECT_EQ(read_error(missing),
            missing.string() + ": cannot read checkpoint: No such file or directory");
}

TEST_F(CheckpointTest, ReadableWithH5py) {
  const std::string python = cz::testing::python_with_h5py();
  if (python.empty()) GTEST_SKIP() << "no python3 with h5py";
  const fs::path file = root_ / "c.h5";
  Checkpoint c = sample(7);
  c.store = data::StoreFingerprint{"data/glyphs", {28, 28, 1}, data::InkStats{0.25, 0.5}, "ab"};
  c.state = {{"worst_task.weights", Tensor::from({0.25, 0.75}, {2}, DType::f64)},
             {"worst_task.seen", Tensor::from({1, 0}, {2}, DType::f64)}};
  write_checkpoint(file, c);
  // The reading and checksum snippets of docs/checkpoints.md; one line per parameter with the
  // CRC-32 of its values' little-endian bytes.
  const fs::path script = root_ / "read.py";
  std::ofstream(script) << R"(import struct, sys, zlib
import h5py, numpy as np

def read_checkpoint(path):
    with h5py.File(path, "r") as f:
        assert f.attrs["format"] == b"cezanne-checkpoint"
        meta = {k: (v.decode() if isinstance(v, bytes) else v.item()) for k, v in f.attrs.items()}
        def tensors(group, names):
            out = {}
            for name in f[names].asstr()[()]:
                d = f[group][name]
                out[name] = d[()].reshape(()) if d.attrs.get("scalar") else d[()]
            return out
        params = tensors("params", "param_names")
        state = tensors("optimizer", "optimizer_names")
        config = dict(zip(f["config/keys"].asstr()[()], f["config/values"].asstr()[()]))
        store = None
        if "store" in f:
            store = {k: (v.decode() if isinstance(v, bytes) else v.item())
                     for k, v in f["store"].attrs.items()}
        objective = tensors("state", "state_names") if "state" in f else {}
    return meta, config, params, state, store, objective

def content_crc(meta, config, params, state, store, objective):
    crc = 0
    def put(b):
        nonlocal crc
        crc = zlib.crc32(b, crc)
    def i64(v): put(struct.pack("<q", v))
    def u64(v): put(struct.pack("<Q", v))
    def text(s):
        b = s.encode()
        u64(len(b))
        put(b)
    for key in ("format_version", "step", "seed", "ranks"):
        (u64 if key == "seed" else i64)(meta[key])
    for key in ("algorithm", "model", "version", "optimizer"):
        text(meta[key])
    i64(meta["optimizer_steps"])
    u64(len(config))
    for k, v in config.items():
        text(k)
        text(v)
    def named(tensors):
        u64(len(tensors))
        for name, x in tensors.items():
            text(name)
            text({"float32": "f32", "float64": "f64", "int64": "i64"}[x.dtype.name])
            u64(x.ndim)
            for n in x.shape:
                i64(n)
            put(np.ascontiguousarray(x, x.dtype.newbyteorder("<")).tobytes())
    named(params)
    named(state)
    if store is not None:
        text(store["path"])
        for key in ("height", "width", "channels"):
            i64(store[key])
        text(store["examples_sha256"])
        u64("pixel_mean" in store)
        if "pixel_mean" in store:
            put(struct.pack("<dd", store["pixel_mean"], store["border_mean"]))
    if objective:
        named(objective)
    return crc

meta, config, params, state, store, objective = read_checkpoint(sys.argv[1])
for name, x in params.items():
    shape = "x".join(str(n) for n in x.shape)
    print(name, x.dtype.name, f"[{shape}]", zlib.crc32(x.astype(x.dtype.newbyteorder("<")).tobytes()))
print("step", meta["step"], "seed", meta["seed"], "config", len(config), "state", len(state))
print("objective state", len(objective))
print("checksum", "ok" if content_crc(meta, config, params, state, store, objective) == meta["checksum"] else "bad")
)";
  const std::string command = python + " " + script.string() + " " + file.string() + " 2>&1";
  std::string output;
  ASSERT_EQ(cz::testing::run_capturing(command, output), 0) << output;

  std::ostringstream expected;
  for (const auto& [name, t] : c.params) {
    std::string shape;
    for (int64_t d : t.shape()) {
      if (!shape.empty()) shape += "x";
      shape += std::to_string(d);
    }
    const std::string bytes = bytes_of(t);
    const char* numpy_name = t.dtype() == DType::f32   ? "float32"
                             : t.dtype() == DType::f64 ? "float64"
                                                       : "int64";
    expected << name << " " << numpy_name << " [" << shape << "] "
             << crc32_z(0, reinterpret_cast<const Bytef*>(bytes.data()), bytes.size()) << "\n";
  }
  expected << "step 7 seed " << c.seed << " config 4 state 3\nobjective state 2\nchecksum ok\n";
  EXPECT_EQ(output, expected.str());
}
