// CliTest.cpp — the `cezanne` command as a user sees it: exit codes and one-line errors.
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace {

struct Result {
  int status = -1;     // exit status of the process
  std::string output;  // stdout and stderr together
};

std::string binary() {
  if (const char* env = std::getenv("CEZANNE_BINARY"); env != nullptr && *env != '\0') return env;
  return CEZANNE_TEST_BINARY;
}

// Runs `cezanne <args>` through the shell; `args` must already be shell-quoted.
Result run_cezanne(const std::string& args) {
  std::string command = "'";
  command.append(binary()).append("' ").append(args).append(" 2>&1");
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  std::array<char, 4096> buffer{};
  std::size_t n = 0;
  while ((n = std::fread(buffer.data(), 1, buffer.size(), pipe)) > 0)
    result.output.append(buffer.data(), n);
  const int raw = pclose(pipe);
  result.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return result;
}

int count_lines(const std::string& text) {
  int lines = 0;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  if (!text.empty() && text.back() != '\n') ++lines;
  return lines;
}

TEST(Cli, InfoVersionNamesCezanneAndLibraries) {
  const Result r = run_cezanne("info --version");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("cezanne 0.1.0"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("HDF5 1.10"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("BLAS "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("MPI "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CUDA "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("NCCL "), std::string::npos) << r.output;
}

TEST(Cli, TopLevelVersionMatchesInfoVersion) {
  const Result top = run_cezanne("--version");
  EXPECT_EQ(top.status, 0) << top.output;
  EXPECT_NE(top.output.find("cezanne 0.1.0"), std::string::npos) << top.output;
}

TEST(Cli, UnknownOptionIsOneLineAndExitTwo) {
  const Result r = run_cezanne("info --bogus");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("--bogus"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.rfind("cezanne info: ", 0), 0u) << r.output;
}

TEST(Cli, InfoHelpListsItsOptions) {
  const Result r = run_cezanne("info --help");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--version"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--config"), std::string::npos) << r.output;
}

TEST(Cli, HelpListsCommandsWithSummaries) {
  for (const char* args : {"--help", ""}) {
    const Result r = run_cezanne(args);
    EXPECT_EQ(r.status, 0) << "args: '" << args << "'\n" << r.output;
    EXPECT_NE(r.output.find("  info "), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("versions of cezanne"), std::string::npos) << r.output;
  }
}

TEST(Cli, UnknownCommandIsOneLineAndExitTwo) {
  const Result r = run_cezanne("frobnicate --x 1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("frobnicate"), std::string::npos) << r.output;
}

TEST(Cli, ConfigFileWithUnknownKeyNamesFileAndKey) {
  const std::filesystem::path ini =
      std::filesystem::path(testing::TempDir()) / "cezanne-cli-typo.ini";
  {
    std::ofstream out(ini);
    out << "# a typo'd key\nverzion = 1\n";
  }
  const Result r = run_cezanne("info --config '" + ini.string() + "'");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find(ini.string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("verzion"), std::string::npos) << r.output;
  std::filesystem::remove(ini);
}

TEST(Cli, MissingConfigFileIsAUsageError) {
  const Result r = run_cezanne("info --config /nonexistent/cezanne.ini");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_EQ(count_lines(r.output), 1) << r.output;
  EXPECT_NE(r.output.find("/nonexistent/cezanne.ini"), std::string::npos) << r.output;
}

}  // namespace
