-- params: ["start","%/nc","%/ncat","root",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND ((coalesce(lower("process.executable") LIKE $2 ESCAPE '\', FALSE) OR coalesce(lower("process.executable") LIKE $3 ESCAPE '\', FALSE)) AND NOT coalesce(lower("user.name") = lower($4), FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $5
