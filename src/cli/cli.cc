#include "cli/cli.h"

#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <iostream>

#include "cli/commands.h"

namespace arca::cli {

int run(int argc, char** argv) {
  CLI::App app{"Arca: a self-hosted artifact repository with a CodeArtifact-compatible API"};
  app.require_subcommand(1);
  int exit_code = 0;
  add_serve_command(app, exit_code);
  add_account_commands(app, exit_code);
  add_access_key_commands(app, exit_code);
  add_cache_commands(app, exit_code);
  CLI11_PARSE(app, argc, argv);
  return exit_code;
}

}  // namespace arca::cli
