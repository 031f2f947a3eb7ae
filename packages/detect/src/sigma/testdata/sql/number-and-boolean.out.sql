-- params: ["start","4688","true",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND (list_transform([coalesce(json_extract_string("winlog.event_data", '$."EventID"'), CAST("winlog.event_id" AS VARCHAR))], lambda v1: coalesce(lower(v1) = lower($2), FALSE))[1] AND coalesce(lower(CAST("process.interactive" AS VARCHAR)) = lower($3), FALSE))
ORDER BY "@timestamp", "event.id"
LIMIT $4
