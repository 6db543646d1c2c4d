#include "store/sqlite/sqlite_connection.h"

#include <utility>

namespace arca::store::sqlite {

Error sqlite_error(sqlite3* db, int rc, std::string_view what) {
  std::string message = "metadata store: ";
  message.append(what);
  message += ": ";
  message += db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_CONSTRAINT:
      if (rc == SQLITE_CONSTRAINT_UNIQUE || rc == SQLITE_CONSTRAINT_PRIMARYKEY) {
        return Error{Code::kAlreadyExists, std::move(message), {}, {}, {}, {}};
      }
      return internal_error(std::move(message));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:  // missing directory, permissions, descriptor limit: the environment
      return unavailable(std::move(message));
    default:
      return internal_error(std::move(message));
  }
}

// --- Query ---

Query::Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtPtr owned)
    : db_(db), stmt_(stmt), in_use_(in_use), owned_(std::move(owned)) {
  if (in_use_ != nullptr) *in_use_ = true;
}

Query::Query(Query&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      in_use_(std::exchange(other.in_use_, nullptr)),
      owned_(std::move(other.owned_)),
      bind_rc_(other.bind_rc_) {}

Query::~Query() {
  if (stmt_ == nullptr) return;
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  if (in_use_ != nullptr) *in_use_ = false;
}

void Query::note_bind(int rc) {
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
}

Query& Query::bind_blob(int index, std::string_view bytes) {
  // A zero-length blob must still be a BLOB, not NULL: pass a non-null pointer.
  static const char kEmpty = 0;
  const char* data = bytes.empty() ? &kEmpty : bytes.data();
  note_bind(sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_TRANSIENT));
  return *this;
}

Result<bool> Query::step() {
  if (bind_rc_ != SQLITE_OK) return sqlite_error(db_, bind_rc_, "bind parameter");
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return sqlite_error(db_, rc, sqlite3_sql(stmt_));
}

Status Query::run() {
  ARCA_ASSIGN_OR_RETURN(bool row, step());
  while (row) {
    ARCA_ASSIGN_OR_RETURN(row, step());
  }
  return {};
}

std::string Query::text(int col) const {
  const unsigned char* p = sqlite3_column_text(stmt_, col);
  if (p == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Query::blob(int col) const {
  const void* p = sqlite3_column_blob(stmt_, col);
  if (p == nullptr) return {};
  return std::string(static_cast<const char*>(p),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

int64_t Query::integer(int col) const { return sqlite3_column_int64(stmt_, col); }
double Query::real(int col) const { return sqlite3_column_double(stmt_, col); }
bool Query::is_null(int col) const { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

// --- Connection ---

Result<std::unique_ptr<Connection>> Connection::open(const std::string& path,
                                                     const ConnectionOptions& options) {
  sqlite3* raw = nullptr;
  // NOMUTEX: the store serialises use of each connection itself (writer mutex, reader leases).
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &raw, flags, nullptr);
  DbPtr db(raw);  // sqlite3_open_v2 may hand back a handle even on failure
  if (rc != SQLITE_OK) {
    return sqlite_error(db.get(), rc, "open " + path);
  }
  sqlite3_extended_result_codes(db.get(), 1);
  rc = sqlite3_busy_timeout(db.get(), static_cast<int>(options.busy_timeout.count()));
  if (rc != SQLITE_OK) return sqlite_error(db.get(), rc, "busy_timeout");
  std::unique_ptr<Connection> conn(new Connection(std::move(db)));
  // foreign_keys is per connection and cannot change inside a transaction: set it here.
  ARCA_TRY(conn->exec("PRAGMA foreign_keys = ON"));
  if (options.read_only) ARCA_TRY(conn->exec("PRAGMA query_only = ON"));
  return conn;
}

Status Connection::exec(const char* sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_.get(), sql, nullptr, nullptr, &err);
  if (err != nullptr) sqlite3_free(err);  // sqlite3_errmsg(db) carries the same text
  if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, sql);
  return {};
}

Result<Query> Connection::query(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end() && !it->second.in_use) {
    return Query(db_.get(), it->second.stmt.get(), &it->second.in_use, nullptr);
  }
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()),
                              SQLITE_PREPARE_PERSISTENT, &raw, nullptr);
  StmtPtr stmt(raw);
  if (rc != SQLITE_OK) return sqlite_error(db_.get(), rc, "prepare " + std::string(sql));
  if (stmt == nullptr) return internal_error("metadata store: empty SQL statement");
  if (it != cache_.end()) {  // nested use of a borrowed statement: hand out a private copy
    sqlite3_stmt* p = stmt.get();
    return Query(db_.get(), p, nullptr, std::move(stmt));
  }
  auto [slot, inserted] = cache_.emplace(std::string(sql), Cached{std::move(stmt), false});
  (void)inserted;
  return Query(db_.get(), slot->second.stmt.get(), &slot->second.in_use, nullptr);
}

// --- Transaction ---

Result<Transaction> Transaction::begin(Connection& conn, Mode mode) {
  // Cached prepared statements: BEGIN/COMMIT run on every request, re-parsing them shows up.
  ARCA_TRY(conn.run(mode == Mode::kWrite ? "BEGIN IMMEDIATE" : "BEGIN"));
  return Transaction(&conn);
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)) {}

Transaction::~Transaction() {
  if (conn_ == nullptr) return;
  // A failed statement may already have rolled the transaction back (e.g. SQLITE_FULL); only
  // roll back if one is still open.
  if (sqlite3_get_autocommit(conn_->handle()) == 0) (void)conn_->exec("ROLLBACK");
}

Status Transaction::commit() {
  Connection* conn = std::exchange(conn_, nullptr);
  auto status = conn->run("COMMIT");
  if (!status && sqlite3_get_autocommit(conn->handle()) == 0) (void)conn->exec("ROLLBACK");
  return status;
}

}  // namespace arca::store::sqlite
