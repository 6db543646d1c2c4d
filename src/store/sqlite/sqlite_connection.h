#pragma once
// RAII wrappers over the SQLite C API: one Connection (sqlite3*) with a cache of prepared
// statements, borrowed Query handles (sqlite3_stmt*) and a Transaction guard.
//
// Thread safety: a Connection is opened with SQLITE_OPEN_NOMUTEX and must be used by one thread
// at a time; SqliteMetadataStore guarantees that with its writer mutex and reader pool.
// Errors: every failure is mapped by sqlite_error() to the canonical codes (see there).
#include <sqlite3.h>

#include <chrono>
#include <concepts>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "util/error.h"

namespace arca::store::sqlite {

// Maps a SQLite result code to a canonical error:
//   SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY      -> kAlreadyExists (callers re-label it with the
//                                                 resource type and id they were inserting)
//   SQLITE_BUSY / LOCKED / IOERR / FULL         -> kUnavailable (transient: retry later)
//   SQLITE_CANTOPEN                             -> kUnavailable (the file cannot be opened)
//   anything else (corruption, misuse, schema)  -> kInternal
// `what` names the operation; the message ends with sqlite3_errmsg(db) when db is given.
Error sqlite_error(sqlite3* db, int rc, std::string_view what);

struct StmtDeleter {
  void operator()(sqlite3_stmt* s) const { sqlite3_finalize(s); }
};
using StmtPtr = std::unique_ptr<sqlite3_stmt, StmtDeleter>;

struct DbDeleter {
  void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using DbPtr = std::unique_ptr<sqlite3, DbDeleter>;

// A prepared statement borrowed from a Connection for one execution. On destruction it is reset
// and its bindings cleared, so the cached statement is ready for the next borrower. Bind errors
// are remembered and reported by the next step()/run().
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt, bool* in_use, StmtPtr owned);
  ~Query();
  Query(Query&& other) noexcept;
  Query& operator=(Query&&) = delete;
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  // Binds parameter `index` (1-based): strings as TEXT, integers as INTEGER, doubles as REAL.
  template <class T>
  Query& bind(int index, const T& value) {
    int rc;
    if constexpr (std::is_same_v<T, double> || std::is_same_v<T, float>) {
      rc = sqlite3_bind_double(stmt_, index, value);
    } else if constexpr (std::is_integral_v<T>) {
      rc = sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value));
    } else {
      std::string_view s(value);
      rc = sqlite3_bind_text64(stmt_, index, s.data(), s.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
    note_bind(rc);
    return *this;
  }
  // Binds all arguments to parameters 1..N in order.
  template <class... Args>
  Query& bind_all(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }
  // Binds raw bytes as a BLOB (kept byte-exact, NULs included).
  Query& bind_blob(int index, std::string_view bytes);

  // Advances: true when a row is available, false when done.
  Result<bool> step();
  // Runs a statement that returns no rows (or whose rows are ignored).
  Status run();

  std::string text(int col) const;
  std::string blob(int col) const;
  int64_t integer(int col) const;
  double real(int col) const;
  bool is_null(int col) const;

 private:
  void note_bind(int rc);

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  bool* in_use_;  // the cache slot's flag; null for an uncached statement
  StmtPtr owned_;
  int bind_rc_ = SQLITE_OK;
};

struct ConnectionOptions {
  std::chrono::milliseconds busy_timeout{5000};
  bool read_only = false;  // PRAGMA query_only: the connection refuses every write
};

// One sqlite3 connection and its statement cache.
class Connection {
 public:
  // Opens (creating if needed) the database file and applies the per-connection settings:
  // extended result codes, busy_timeout, foreign_keys=ON, and query_only for readers.
  static Result<std::unique_ptr<Connection>> open(const std::string& path,
                                                  const ConnectionOptions& options);

  // Runs one or more statements without parameters (schema, pragmas, BEGIN/COMMIT).
  Status exec(const char* sql);
  // Returns a cached prepared statement for `sql`. If that statement is already borrowed (a
  // nested use of the same SQL), a fresh uncached one is prepared instead.
  Result<Query> query(std::string_view sql);
  // Convenience: prepares, binds `args` and runs a statement that returns no rows.
  template <class... Args>
  Status run(std::string_view sql, const Args&... args) {
    ARCA_ASSIGN_OR_RETURN(Query q, query(sql));
    q.bind_all(args...);
    return q.run();
  }
  // Number of rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t changes() const { return sqlite3_changes64(db_.get()); }

  sqlite3* handle() const { return db_.get(); }

 private:
  explicit Connection(DbPtr db) : db_(std::move(db)) {}

  struct Cached {
    StmtPtr stmt;
    bool in_use = false;
  };
  DbPtr db_;
  std::map<std::string, Cached, std::less<>> cache_;
};

// A transaction on one connection; rolls back on destruction unless committed.
class Transaction {
 public:
  enum class Mode {
    kRead,   // BEGIN (deferred): one consistent snapshot for every read of the method
    kWrite,  // BEGIN IMMEDIATE: takes the write lock up front, so no deadlock on upgrade
  };
  static Result<Transaction> begin(Connection& conn, Mode mode);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();

  Status commit();

 private:
  explicit Transaction(Connection* conn) : conn_(conn) {}
  Connection* conn_;  // null once committed, rolled back or moved from
};

}  // namespace arca::store::sqlite
