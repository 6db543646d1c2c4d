// The external-connection metadata cache table (migration 4).
#include "store/sqlite/sqlite_metadata_store.h"

namespace arca::store {

using sqlite::Query;

Result<UpstreamDocument> SqliteMetadataStore::get_upstream_document(const std::string& connection,
                                                                    const std::string& key) {
  return read([&](Connection& conn) -> Result<UpstreamDocument> {
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("SELECT status, etag, last_modified, fetched_time, body "
                            "FROM upstream_documents WHERE connection = ? AND key = ?"));
    q.bind_all(connection, key);
    ARCA_ASSIGN_OR_RETURN(bool row, q.step());
    if (!row) return not_found("upstream-document", connection + " " + key,
                     "no cached upstream document " + key + " of " + connection);
    UpstreamDocument d;
    d.connection = connection;
    d.key = key;
    d.status = static_cast<int>(q.integer(0));
    d.etag = q.text(1);
    d.last_modified = q.text(2);
    d.fetched_time = q.real(3);
    d.body = q.blob(4);
    return d;
  });
}

Status SqliteMetadataStore::put_upstream_document(const UpstreamDocument& d) {
  return write([&](Connection& conn) -> Status {
    ARCA_ASSIGN_OR_RETURN(
        Query q, conn.query("INSERT OR REPLACE INTO upstream_documents (connection, key, status, "
                            "etag, last_modified, fetched_time, body) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.bind_all(d.connection, d.key, int64_t(d.status), d.etag, d.last_modified, d.fetched_time);
    q.bind_blob(7, d.body);
    return q.run();
  });
}

Status SqliteMetadataStore::touch_upstream_document(const std::string& connection,
                                                    const std::string& key,
                                                    Timestamp fetched_time) {
  return write([&](Connection& conn) -> Status {
    ARCA_TRY(conn.run("UPDATE upstream_documents SET fetched_time = ? "
                      "WHERE connection = ? AND key = ?",
                      fetched_time, connection, key));
    if (conn.changes() == 0) return not_found("upstream-document", connection + " " + key,
                     "no cached upstream document " + key + " of " + connection);
    return {};
  });
}

}  // namespace arca::store
