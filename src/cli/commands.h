#pragma once
// The `arca` subcommands. Each registers itself on the CLI11 app and writes its exit code.
#include <CLI/CLI.hpp>
#include <string>

#include "util/error.h"

namespace arca::cli {

void add_serve_command(CLI::App& app, int& exit_code);
void add_account_commands(CLI::App& app, int& exit_code);
void add_access_key_commands(CLI::App& app, int& exit_code);
void add_cache_commands(CLI::App& app, int& exit_code);

// Prints "arca: <message>" to stderr and returns 1 for a failed Result/Status.
int fail(const Error& e);

}  // namespace arca::cli
