#include "store/sqlite/sqlite_metadata_store.h"

#include <utility>

#include "store/sqlite/sqlite_migrations.h"
#include "store/sqlite/sqlite_rows.h"

namespace arca::store {

using sqlite::Query;

namespace {

// Applies the writer's file-level settings. journal_mode=WAL persists in the file; the rest are
// per connection. See "Durability" in the header for the synchronous level.
Status configure_writer(sqlite::Connection& conn, bool synchronous_full) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("PRAGMA journal_mode = WAL"));
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  std::string mode = row ? q.text(0) : std::string();
  if (mode != "wal") {
    return unavailable("metadata store: cannot switch the database to WAL mode (journal_mode is '" +
                       mode + "'); is the file on a filesystem without shared memory support?");
  }
  return conn.exec(synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
}

}  // namespace

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::open(const std::string& db_path) {
  return open(db_path, Options{});
}

Result<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::open(const std::string& db_path,
                                                                       const Options& options) {
  sqlite::ConnectionOptions writer_options{options.busy_timeout, false};
  ARCA_ASSIGN_OR_RETURN(auto writer, sqlite::Connection::open(db_path, writer_options));
  ARCA_TRY(configure_writer(*writer, options.synchronous_full));
  ARCA_TRY(sqlite::migrate(*writer, sqlite::builtin_migrations()));

  sqlite::ConnectionOptions reader_options{options.busy_timeout, true};
  std::vector<std::unique_ptr<Connection>> readers;
  size_t count = options.reader_connections == 0 ? 1 : options.reader_connections;
  for (size_t i = 0; i < count; ++i) {
    ARCA_ASSIGN_OR_RETURN(auto reader, sqlite::Connection::open(db_path, reader_options));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<SqliteMetadataStore>(
      new SqliteMetadataStore(std::move(writer), std::move(readers)));
}

SqliteMetadataStore::SqliteMetadataStore(std::unique_ptr<Connection> writer,
                                         std::vector<std::unique_ptr<Connection>> readers)
    : writer_(std::move(writer)), idle_readers_(std::move(readers)) {}

// Readers close before the writer, so the writer's close (the last connection) checkpoints the
// WAL into the main file.
SqliteMetadataStore::~SqliteMetadataStore() {
  idle_readers_.clear();
  writer_.reset();
}

SqliteMetadataStore::ReaderLease::~ReaderLease() {
  {
    std::lock_guard lock(store_.readers_mu_);
    store_.idle_readers_.push_back(std::move(conn_));
  }
  store_.reader_returned_.notify_one();
}

SqliteMetadataStore::ReaderLease SqliteMetadataStore::acquire_reader() {
  std::unique_lock lock(readers_mu_);
  reader_returned_.wait(lock, [this] { return !idle_readers_.empty(); });
  auto conn = std::move(idle_readers_.back());
  idle_readers_.pop_back();
  return ReaderLease(*this, std::move(conn));
}

// --- accounts ---

Status SqliteMetadataStore::create_account(const Account& account) {
  return write([&](Connection& conn) -> Status {
    auto inserted = conn.run("INSERT INTO accounts (id, name, created_time) VALUES (?, ?, ?)",
                             account.id, account.name, account.created_time);
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return already_exists("account", account.id, "Account " + account.id + " already exists");
    }
    return inserted;
  });
}

Result<Account> SqliteMetadataStore::get_account(const std::string& id) {
  return read([&](Connection& conn) -> Result<Account> {
    ARCA_ASSIGN_OR_RETURN(Query q,
                          conn.query("SELECT id, name, created_time FROM accounts WHERE id = ?"));
    q.bind(1, id);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return not_found("account", id, "Account " + id + " does not exist");
    return Account{q.text(0), q.text(1), q.real(2)};
  });
}

Result<std::vector<Account>> SqliteMetadataStore::list_accounts() {
  return read([&](Connection& conn) -> Result<std::vector<Account>> {
    ARCA_ASSIGN_OR_RETURN(Query q,
                          conn.query("SELECT id, name, created_time FROM accounts ORDER BY id"));
    std::vector<Account> out;
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) return out;
      out.push_back(Account{q.text(0), q.text(1), q.real(2)});
    }
  });
}

// --- access keys ---

namespace {

constexpr const char* kAccessKeyColumns =
    "SELECT id, account_id, user_name, secret_sealed, created_time FROM access_keys ";

AccessKey access_key_from_row(const Query& q) {
  return AccessKey{q.text(0), q.text(1), q.text(2), q.blob(3), q.real(4)};
}

Status bump_access_keys_generation(sqlite::Connection& conn) {
  return conn.run("UPDATE meta SET value = value + 1 WHERE key = 'access_keys_generation'");
}

}  // namespace

Status SqliteMetadataStore::create_access_key(const AccessKey& key) {
  return write([&](Connection& conn) -> Status {
    {
      ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT 1 FROM accounts WHERE id = ?"));
      q.bind(1, key.account_id);
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) {
        return not_found("account", key.account_id,
                         "Account " + key.account_id + " does not exist");
      }
    }
    ARCA_ASSIGN_OR_RETURN(Query q,
                          conn.query("INSERT INTO access_keys (id, account_id, user_name, "
                                     "secret_sealed, created_time) VALUES (?, ?, ?, ?, ?)"));
    q.bind_all(key.id, key.account_id, key.user_name).bind_blob(4, key.secret_sealed);
    q.bind(5, key.created_time);
    auto inserted = q.run();
    if (!inserted && inserted.error().code == Code::kAlreadyExists) {
      return already_exists("access-key", key.id, "Access key " + key.id + " already exists");
    }
    ARCA_TRY(inserted);
    return bump_access_keys_generation(conn);
  });
}

Result<AccessKey> SqliteMetadataStore::get_access_key(const std::string& id) {
  return read([&](Connection& conn) -> Result<AccessKey> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query(std::string(kAccessKeyColumns) + "WHERE id = ?"));
    q.bind(1, id);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return not_found("access-key", id, "Access key " + id + " does not exist");
    return access_key_from_row(q);
  });
}

Result<std::vector<AccessKey>> SqliteMetadataStore::list_access_keys(
    const std::string& account_id) {
  return read([&](Connection& conn) -> Result<std::vector<AccessKey>> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query(std::string(kAccessKeyColumns) +
                                              "WHERE ?1 = '' OR account_id = ?1 ORDER BY id"));
    q.bind(1, account_id);
    std::vector<AccessKey> out;
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) return out;
      out.push_back(access_key_from_row(q));
    }
  });
}

Status SqliteMetadataStore::delete_access_key(const std::string& id) {
  return write([&](Connection& conn) -> Status {
    ARCA_TRY(conn.run("DELETE FROM access_keys WHERE id = ?", id));
    if (conn.changes() == 0) {
      return not_found("access-key", id, "Access key " + id + " does not exist");
    }
    return bump_access_keys_generation(conn);
  });
}

Result<int64_t> SqliteMetadataStore::access_keys_generation() {
  return read([&](Connection& conn) -> Result<int64_t> {
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("SELECT value FROM meta WHERE key = 'access_keys_generation'"));
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return internal_error("metadata store: meta row access_keys_generation is missing");
    return q.integer(0);
  });
}

// --- tags ---

Result<Tags> SqliteMetadataStore::get_tags(const std::string& arn) {
  return read([&](Connection& conn) -> Result<Tags> {
    ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT key, value FROM tags WHERE arn = ?"));
    q.bind(1, arn);
    Tags out;
    for (;;) {
      ARCA_ASSIGN_OR_RETURN(bool row, q.step());
      if (!row) return out;
      out.emplace(q.text(0), q.text(1));
    }
  });
}

namespace {

Result<int64_t> count_tags(sqlite::Connection& conn, const std::string& arn) {
  ARCA_ASSIGN_OR_RETURN(Query q, conn.query("SELECT count(*) FROM tags WHERE arn = ?"));
  q.bind(1, arn);
  ARCA_ASSIGN_OR_RETURN(bool row, q.step());
  return row ? q.integer(0) : 0;
}

}  // namespace

Status SqliteMetadataStore::put_tags(const std::string& arn, const Tags& tags, size_t max_tags) {
  return write([&](Connection& conn) -> Status {
    ARCA_ASSIGN_OR_RETURN(int64_t before, count_tags(conn, arn));
    for (const auto& [key, value] : tags) {
      ARCA_TRY(
          conn.run("INSERT INTO tags (arn, key, value) VALUES (?, ?, ?) "
                   "ON CONFLICT (arn, key) DO UPDATE SET value = excluded.value",
                   arn, key, value));
    }
    ARCA_ASSIGN_OR_RETURN(int64_t count, count_tags(conn, arn));
    // Only growth is refused: changing values on a resource already over a lowered limit works.
    // Returning the error rolls back every upsert above.
    if (static_cast<uint64_t>(count) > max_tags && count > before) {
      return quota_exceeded(sqlite::arn_resource_type(arn), arn,
                            "Resource " + arn + " would have " + std::to_string(count) +
                                " tags; the maximum is " + std::to_string(max_tags));
    }
    return Status{};
  });
}

Status SqliteMetadataStore::remove_tags(const std::string& arn,
                                        const std::vector<std::string>& keys) {
  return write([&](Connection& conn) -> Status {
    for (const auto& key : keys) {
      ARCA_TRY(conn.run("DELETE FROM tags WHERE arn = ? AND key = ?", arn, key));
    }
    return Status{};
  });
}

}  // namespace arca::store
