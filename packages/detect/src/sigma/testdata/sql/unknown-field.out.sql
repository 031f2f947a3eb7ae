-- warning unknown_field: field NoSuchField does not exist under logsource {"product":"linux","category":"process_creation"}: the item is FALSE
-- params: ["start","%/nc",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (FALSE OR coalesce(lower("process.executable") LIKE $2 ESCAPE '\', FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $3
