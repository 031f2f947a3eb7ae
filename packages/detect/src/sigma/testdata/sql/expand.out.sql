-- warning unknown_placeholder: placeholder %nobody_defined% has no values: the value never matches
-- params: ["start","root","adm%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND ((coalesce(lower("user.name") = lower($2), FALSE) OR coalesce(lower("user.name") LIKE $3 ESCAPE '\', FALSE)) OR FALSE)
ORDER BY "@timestamp", "event.id"
LIMIT $4
