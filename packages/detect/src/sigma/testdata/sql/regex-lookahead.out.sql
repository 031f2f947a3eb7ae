-- warning regex_unsupported_in_sql: regular expression uses lookahead (?!, which DuckDB (RE2) cannot run: the value is FALSE in SQL
-- params: ["start",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND FALSE
ORDER BY "@timestamp", "event.id"
LIMIT $2
