// The single `arca` binary: `arca serve` and the offline administration subcommands.
#include "cli/cli.h"

int main(int argc, char** argv) { return arca::cli::run(argc, argv); }
