// `arca cache stats`: a repository's pull-through cache statistics, read from a running server's
// /metrics (the counters live in the server process).
#include <iostream>
#include <map>
#include <string>

#include "cli/commands.h"
#include "upstream/http_client.h"

namespace arca::cli {

namespace {

// The value of label `name` in a Prometheus series line, or "".
std::string label(const std::string& line, const std::string& name) {
  std::string key = name + "=\"";
  size_t at = line.find(key);
  if (at == std::string::npos) return {};
  at += key.size();
  size_t end = line.find('"', at);
  return end == std::string::npos ? std::string() : line.substr(at, end - at);
}

// Prints the cache series of `repository` ("domain/repository") and of every external
// connection as "metric{labels} value" lines under readable headings.
int print_stats(const std::string& text, const std::string& repository) {
  std::map<std::string, std::string> repo_lines, connection_lines;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    if (line.empty() || line[0] == '#') continue;
    if (!label(line, "repository").empty()) {
      if (label(line, "repository") == repository) repo_lines[line] = line;
    } else if (!label(line, "connection").empty()) {
      connection_lines[line] = line;
    }
  }
  if (repo_lines.empty()) {
    std::cout << "repository " << repository << ": no package requests since the server started\n";
  } else {
    std::cout << "repository " << repository << ":\n";
    for (const auto& [k, line] : repo_lines) std::cout << "  " << line << "\n";
  }
  if (!connection_lines.empty()) {
    std::cout << "external connections:\n";
    for (const auto& [k, line] : connection_lines) std::cout << "  " << line << "\n";
  }
  return 0;
}

}  // namespace

void add_cache_commands(CLI::App& app, int& exit_code) {
  auto* cache = app.add_subcommand("cache", "Pull-through cache of a running server");
  cache->require_subcommand(1);
  auto* stats = cache->add_subcommand(
      "stats", "Print a repository's cache statistics (hits, misses, stale, upstream requests)");
  auto url = std::make_shared<std::string>("http://127.0.0.1:8080");
  auto domain = std::make_shared<std::string>();
  auto repository = std::make_shared<std::string>();
  stats->add_option("--server", *url, "Base URL of the running server")->capture_default_str();
  stats->add_option("--domain", *domain, "Domain name")->required();
  stats->add_option("--repository", *repository, "Repository name")->required();
  stats->callback([&exit_code, url, domain, repository] {
    upstream::HttpClient client;
    std::string base = *url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    auto got = client.get_buffered({base + "/metrics", {}}, 64u << 20);
    if (!got) {
      exit_code = fail(got.error());
      return;
    }
    if (got->result.head.status != 200) {
      exit_code = fail(unavailable(base + "/metrics answered HTTP " +
                                   std::to_string(got->result.head.status)));
      return;
    }
    exit_code = print_stats(got->body, *domain + "/" + *repository);
  });
}

}  // namespace arca::cli
