// What a glyph store is made from: the FreeType version, the font packages and the font files.
#include <ft2build.h>
#include FT_FREETYPE_H

#include <cstdio>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "GlyphInternal.hpp"

namespace cz::data::detail {

namespace {

std::string freetype_version() {
  FT_Library library = nullptr;
  if (FT_Init_FreeType(&library) != 0) return "unknown";
  FT_Int major = 0, minor = 0, patch = 0;
  FT_Library_Version(library, &major, &minor, &patch);
  FT_Done_FreeType(library);
  return std::to_string(major) + "." + std::to_string(minor) + "." + std::to_string(patch);
}

/// The standard output of `command`, or nullopt when it cannot run or exits non-zero.
std::optional<std::string> output_of(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) return std::nullopt;
  std::string out;
  char buffer[4096];
  for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe.get())) > 0;) out.append(buffer, n);
  if (::pclose(pipe.release()) != 0) return std::nullopt;
  return out;
}

std::string quoted(const std::string& word) {
  std::string out = "'";
  for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

/// "package NAME VERSION" lines for the packages that own `fonts` (dpkg-query -S, then -W).
std::string package_lines(const std::vector<std::filesystem::path>& fonts) {
  std::string files;
  for (const auto& font : fonts) files += ' ' + quoted(font.string());
  // Exits non-zero when some file has no owner; the owners of the others still count.
  const auto owners = output_of("dpkg-query -S" + files + " 2>/dev/null || true");
  std::set<std::string> packages;  // "name" or "name:arch" before ": /path"
  std::istringstream in(owners.value_or(""));
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(": ");
    if (colon != std::string::npos) packages.insert(line.substr(0, colon));
  }
  if (packages.empty()) return "package unknown (dpkg-query -S names no owner of the fonts)\n";
  std::string names;
  for (const auto& p : packages) names += ' ' + quoted(p);
  const auto versions = output_of("dpkg-query -W -f '${Package} ${Version}\\n'" + names);
  if (!versions) return "package unknown (dpkg-query -W failed)\n";
  std::string out;
  std::istringstream lines(*versions);
  for (std::string line; std::getline(lines, line);) out += "package " + line + "\n";
  return out;
}

}  // namespace

std::string glyph_inputs(const std::vector<std::filesystem::path>& fonts) {
  std::string out = "renderer FreeType " + freetype_version() + "\n" + package_lines(fonts);
  for (const auto& font : fonts) {
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(font, ec);
    out += "font " + font.filename().string() + " " +
           (ec ? std::string("?") : std::to_string(bytes)) + "\n";
  }
  return out;
}

}  // namespace cz::data::detail
