// `arca serve`.
#include <sys/resource.h>

#include <cstdio>

#include "cli/commands.h"
#include "config/config.h"
#include "server/app.h"

namespace arca::cli {

namespace {

// A server holds a descriptor per connection, open blob, spool and upstream connection: the
// soft limit (often 1024) is raised to the hard one, as servers do; a failure leaves it as it was.
void raise_descriptor_limit() {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0 || r.rlim_cur >= r.rlim_max) return;
  r.rlim_cur = r.rlim_max;
  (void)::setrlimit(RLIMIT_NOFILE, &r);
}

struct ServeFlags {
  std::string config_file, data_dir, listen, public_url;
};

int serve(const ServeFlags& f) {
  raise_descriptor_limit();
  auto cfg = config::load(f.config_file);
  if (!cfg) return fail(cfg.error());
  if (!f.data_dir.empty()) cfg->data_dir = f.data_dir;
  if (!f.public_url.empty()) cfg->public_url = f.public_url;
  if (!f.listen.empty()) {
    if (auto st = config::parse_listen(f.listen, cfg->listen_host, cfg->listen_port); !st)
      return fail(st.error());
  }
  auto app = server::App::open(*cfg);
  if (!app) return fail(app.error());
  if ((*app)->bootstrap().created)
    std::printf("arca: admin credentials written to %s\n",
                (*app)->bootstrap().credentials_path.c_str());
  auto url = (*app)->start();
  if (!url) return fail(url.error());
  std::printf("arca: listening on %s\n", url->listen.c_str());
  if (url->public_url != url->listen) std::printf("arca: public URL %s\n", url->public_url.c_str());
  std::fflush(stdout);
  (*app)->run(/*handle_signals=*/true);
  return 0;
}
}  // namespace

void add_serve_command(CLI::App& app, int& exit_code) {
  auto flags = std::make_shared<ServeFlags>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the API and package endpoints");
  cmd->add_option("--config", flags->config_file, "TOML configuration file");
  cmd->add_option("--data-dir", flags->data_dir, "Data directory (default ./arca-data)");
  cmd->add_option("--listen", flags->listen, "HOST:PORT to listen on (port 0 picks a free one)");
  cmd->add_option("--public-url", flags->public_url, "Base URL clients use to reach this server");
  cmd->callback([flags, &exit_code] { exit_code = serve(*flags); });
}

}  // namespace arca::cli
