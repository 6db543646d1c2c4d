#include "cli/cli.h"

#include <CLI/CLI.hpp>

namespace arca::cli {

int run(int argc, char** argv) {
  CLI::App app{"Arca: a self-hosted artifact repository with a CodeArtifact-compatible API"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}

}  // namespace arca::cli
