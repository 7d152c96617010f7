// `cezanne prepare` and `cezanne info STORE` end to end, as a user runs them.
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include "cezanne/data/Idx.hpp"
#include "cezanne/data/Png.hpp"

namespace fs = std::filesystem;
using namespace cz::data;
using ::testing::HasSubstr;
using ::testing::Not;

namespace {

std::string binary() {
  const char* env = std::getenv("CEZANNE_BINARY");
  return env != nullptr ? env : CEZANNE_TEST_BINARY;
}

struct Result {
  int status;
  std::string out, err;
};

/// Runs `cezanne ARGS` through the shell, capturing stdout and stderr separately.
Result cezanne(const std::string& args, const fs::path& scratch) {
  const fs::path out = scratch / "stdout.txt", err = scratch / "stderr.txt";
  const std::string command = binary() + " " + args + " >" + out.string() + " 2>" + err.string();
  const int raw = std::system(command.c_str());
  auto slurp = [](const fs::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  };
  return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, slurp(out), slurp(err)};
}

class PrepareCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("cz-prepcli-" + std::to_string(::getpid()) + "-" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_);
  }
  void TearDown() override { fs::remove_all(root_); }

  /// 30 images 2x2 with labels 0..4 (six each); images gzip, labels raw.
  void write_idx_fixture() {
    IdxArray images{{30, 2, 2}, {}}, labels{{30}, {}};
    for (int i = 0; i < 30; ++i) {
      for (int p = 0; p < 4; ++p) images.data.push_back(static_cast<uint8_t>(i * 4 + p));
      labels.data.push_back(static_cast<uint8_t>(i % 5));
    }
    write_idx(root_ / "images.gz", images, true);
    write_idx(root_ / "labels.idx", labels, false);
  }

  Result run(const std::string& args) { return cezanne(args, root_); }
  std::string idx_args() const {
    return "prepare idx --images " + (root_ / "images.gz").string() + " --labels " +
           (root_ / "labels.idx").string();
  }

  fs::path root_;
};

}  // namespace

TEST_F(PrepareCliTest, PrepareIdxThenInfo) {
  write_idx_fixture();
  const fs::path store = root_ / "store";
  const Result prep = run(idx_args() + " --out " + store.string() +
                          " --class-names a,b,c,d,e --test-fraction 0.2 --val-fraction 0.2");
  ASSERT_EQ(prep.status, 0) << prep.err;
  EXPECT_EQ(prep.out, "wrote " + store.string() + ": 1 domain, 5 classes, 30 examples\n");

  const Result info = run("info " + store.string());
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("examples   uint8 [H, W, C] = [2, 2, 1]"));
  EXPECT_THAT(info.out, HasSubstr("train             1          3           18"));
  EXPECT_THAT(info.out, HasSubstr("val               1          1            6"));
  EXPECT_THAT(info.out, HasSubstr("test              1          1            6"));
  EXPECT_THAT(info.out, HasSubstr("checksums  OK (14 datasets read)"));
  EXPECT_THAT(info.out, HasSubstr("split by class"));
  EXPECT_THAT(info.out, HasSubstr("command    cezanne prepare idx --images"));

  const Result json = run("info " + store.string() + " --json");
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"shape\": [2, 2, 1]"));
  EXPECT_THAT(json.out, HasSubstr("\"train\": {\"domains\": 1, \"classes\": 3, \"examples\": 18}"));
  EXPECT_THAT(json.out, HasSubstr("\"ok\": true"));
  EXPECT_THAT(json.out, HasSubstr("\"shards\": [{\"name\": \"shard-00000.h5\""));
  EXPECT_EQ(std::count(json.out.begin(), json.out.end(), '\n'), 1);
}

TEST_F(PrepareCliTest, PrepareSyntheticThenInfoAndItsErrors) {
  const fs::path store = root_ / "store";
  const Result prep = run("prepare synthetic --out " + store.string() +
                          " --classes 20 --examples 2 --size 4 --domains 4 --shard-mb 0.0001");
  ASSERT_EQ(prep.status, 0) << prep.err;
  EXPECT_EQ(prep.out, "wrote " + store.string() + ": 4 domains, 20 classes, 40 examples\n");
  const Result info = run("info " + store.string());
  ASSERT_EQ(info.status, 0) << info.err;
  EXPECT_THAT(info.out, HasSubstr("examples   uint8 [H, W, C] = [4, 4, 1]"));
  EXPECT_THAT(info.out, HasSubstr("train             4         12           24"));
  EXPECT_THAT(info.out, HasSubstr("shards     7 (shard-00000.h5 .. shard-00006.h5)"));

  const Result domains = run("prepare synthetic --out " + (root_ / "x").string() + " --classes 20 --domains 30");
  EXPECT_EQ(domains.status, 2);
  EXPECT_EQ(domains.err, "cezanne prepare synthetic: --domains 30 exceeds --classes 20\n");
  const Result by_domain = run("prepare synthetic --out " + (root_ / "x").string() + " --split-by domain");
  EXPECT_EQ(by_domain.status, 2);
  EXPECT_THAT(by_domain.err, HasSubstr("--split-by domain: prepare synthetic splits by class"));
  EXPECT_FALSE(fs::exists(root_ / "x"));
}

TEST_F(PrepareCliTest, TestFractionOnePutsEveryClassInTheTestSplit) {
  // A folder of new classes to evaluate a trained model on: all of it is test data.
  write_idx_fixture();
  const fs::path store = root_ / "all-test";
  const Result prep = run(idx_args() + " --test-fraction 1 --out " + store.string());
  ASSERT_EQ(prep.status, 0) << prep.err;
  const Result info = run("info --json " + store.string());
  EXPECT_THAT(info.out, HasSubstr("\"splits\": {\"train\": {\"domains\": 0, \"classes\": 0, "
                                  "\"examples\": 0}, \"val\": {\"domains\": 0, \"classes\": 0, "
                                  "\"examples\": 0}, \"test\": {\"domains\": 1, \"classes\": 5, "
                                  "\"examples\": 30}}"));
  const fs::path refused = root_ / "refused";
  const Result both =
      run(idx_args() + " --test-fraction 1 --val-fraction 0.2 --out " + refused.string());
  EXPECT_EQ(both.status, 2);
  EXPECT_EQ(both.err,
            "cezanne prepare idx: --val-fraction and --test-fraction must be in [0, 1) and sum to "
            "less than 1, or one of them 1 (every class in that split) and the other 0\n");
  EXPECT_FALSE(fs::exists(refused));
}

TEST_F(PrepareCliTest, PrepareImagesOmniglotLayout) {
  const fs::path data = root_ / "background";
  int seed = 0;
  for (const char* alphabet : {"A", "B", "C", "D", "E"}) {
    for (const char* character : {"c1", "c2"}) {
      fs::create_directories(data / alphabet / character);
      for (int k = 0; k < 2; ++k) {
        Image image{5, 5, 1, std::vector<uint8_t>(25, static_cast<uint8_t>(seed++ * 9))};
        write_png(data / alphabet / character / (std::to_string(k) + ".png"), image);
      }
    }
  }
  const fs::path store = root_ / "omniglot";
  const Result prep = run("prepare images --root " + data.string() + " --size 4 --invert --out " +
                          store.string() + " --shard-mb 0.00003 --compression 4");
  ASSERT_EQ(prep.status, 0) << prep.err;
  EXPECT_EQ(prep.out, "wrote " + store.string() + ": 5 domains, 10 classes, 20 examples\n");
  const Result json = run("info --json " + store.string());
  ASSERT_EQ(json.status, 0) << json.err;
  EXPECT_THAT(json.out, HasSubstr("\"split_by\": \"domain\""));
  EXPECT_THAT(json.out, HasSubstr("\"compression\": 4"));
  EXPECT_THAT(json.out, HasSubstr("\"name\": \"shard-00009.h5\""));  // one class per shard
  EXPECT_THAT(json.out, HasSubstr("\"train\": {\"domains\": 3, \"classes\": 6, \"examples\": 12}"));
}

TEST_F(PrepareCliTest, BadIdxMagicIsOneLineAndLeavesNoStore) {
  write_idx_fixture();
  std::ofstream(root_ / "labels.idx", std::ios::trunc | std::ios::binary)
      << std::string("\x01\x02\x03\x04xxxx", 8);
  const fs::path store = root_ / "store";
  const Result prep = run(idx_args() + " --out " + store.string());
  EXPECT_EQ(prep.status, 1);
  EXPECT_EQ(prep.err, "cezanne prepare idx: error: " + (root_ / "labels.idx").string() +
                          ": not an IDX file (magic number 0x01020304, expected 0x0000TTDD)\n");
  EXPECT_FALSE(fs::exists(store));
  for (const auto& entry : fs::directory_iterator(root_))
    EXPECT_THAT(entry.path().string(), Not(HasSubstr("partial")));
}

TEST_F(PrepareCliTest, UsageErrors) {
  write_idx_fixture();
  EXPECT_EQ(run(idx_args()).status, 2);  // --out missing
  const Result by_domain =
      run(idx_args() + " --out " + (root_ / "s").string() + " --split-by domain");
  EXPECT_EQ(by_domain.status, 2);
  EXPECT_THAT(by_domain.err, HasSubstr("--split-by"));
  EXPECT_EQ(run("prepare nosuchsource --out x").status, 2);
  const Result help = run("prepare --help");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("prepare idx"));
  EXPECT_THAT(help.out, HasSubstr("prepare images"));
  fs::create_directories(root_ / "exists");
  const Result exists = run(idx_args() + " --out " + (root_ / "exists").string());
  EXPECT_EQ(exists.status, 1);
  EXPECT_THAT(exists.err, HasSubstr("already exists"));
}

TEST_F(PrepareCliTest, InfoRejectsANonStoreAndReportsACorruptOne) {
  fs::create_directories(root_ / "plain");
  const Result plain = run("info " + (root_ / "plain").string());
  EXPECT_EQ(plain.status, 1);
  EXPECT_EQ(plain.err, "cezanne info: error: not a cezanne store: " + (root_ / "plain").string() +
                           " (no manifest.h5)\n");

  write_idx_fixture();
  const fs::path store = root_ / "store";
  ASSERT_EQ(run(idx_args() + " --out " + store.string()).status, 0);
  // Flip a byte of the examples: image 7 (label 2) holds bytes 28..31.
  const fs::path shard = store / "shard-00000.h5";
  std::ifstream in(shard, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  in.close();
  const std::string pattern{'\x1c', '\x1d', '\x1e', '\x1f',
                            '\x30', '\x31', '\x32', '\x33'};  // images 7, 12
  const auto pos = bytes.find(pattern);
  ASSERT_NE(pos, std::string::npos);
  bytes[pos + 1] ^= 0x40;
  std::ofstream(shard, std::ios::binary | std::ios::trunc) << bytes;

  const Result info = run("info " + store.string());
  EXPECT_EQ(info.status, 1);
  EXPECT_THAT(info.out,
              HasSubstr("checksums  FAILED: " + shard.string() + ": /examples: checksum mismatch"));
  EXPECT_THAT(info.err, HasSubstr("cezanne info: error: " + shard.string() +
                                  ": /examples: checksum mismatch or corrupt data (class 2 '2')"));
  const Result json = run("info --json " + store.string());
  EXPECT_EQ(json.status, 1);
  EXPECT_THAT(json.out, HasSubstr("\"ok\": false"));
  EXPECT_THAT(json.out, HasSubstr("checksum mismatch"));
  // --no-verify reads only the metadata, which is intact.
  EXPECT_EQ(run("info --no-verify " + store.string()).status, 0);
}

TEST_F(PrepareCliTest, KilledPrepareLeavesOnlyAPartialDirectoryThatIsNotAStore) {
  // Enough classes (one shard each, fsynced) that the import is still running when its first shard
  // exists.
  const fs::path data = root_ / "flat";
  for (int c = 0; c < 400; ++c) {
    fs::create_directories(data / ("class" + std::to_string(c)));
    for (int k = 0; k < 4; ++k) {
      write_png(data / ("class" + std::to_string(c)) / (std::to_string(k) + ".png"),
                Image{32, 32, 1, std::vector<uint8_t>(1024, static_cast<uint8_t>(c + k))});
    }
  }
  const fs::path store = root_ / "store";
  const std::string bin = binary();
  const std::string root_arg = data.string(), out_arg = store.string();
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    const int devnull = ::open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execl(bin.c_str(), bin.c_str(), "prepare", "images", "--root", root_arg.c_str(), "--layout",
          "flat", "--out", out_arg.c_str(), "--shard-mb", "0.001", static_cast<char*>(nullptr));
    _exit(127);
  }
  const fs::path partial = store.string() + ".partial-" + std::to_string(pid);
  bool started = false;
  for (int i = 0; i < 3000 && !started; ++i) {
    started = fs::exists(partial / "shard-00000.h5");
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status)) GTEST_SKIP() << "prepare finished before it could be interrupted";
  ASSERT_TRUE(started);
  EXPECT_FALSE(fs::exists(store));
  EXPECT_TRUE(fs::exists(partial));
  EXPECT_FALSE(fs::exists(partial / "manifest.h5"));
  const Result info = run("info " + partial.string());
  EXPECT_EQ(info.status, 1);
  EXPECT_THAT(info.err,
              HasSubstr("not a cezanne store: " + partial.string() + " (no manifest.h5)"));
}
