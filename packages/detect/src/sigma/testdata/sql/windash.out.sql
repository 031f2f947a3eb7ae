-- params: ["start","% -enc %","% /enc %","% –enc %","% —enc %","% ―enc %",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE "event.action" IN ($1)
  AND list_transform([coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")], lambda v1: coalesce(lower(v1) LIKE $2 ESCAPE '\', FALSE) OR coalesce(lower(v1) LIKE $3 ESCAPE '\', FALSE) OR coalesce(lower(v1) LIKE $4 ESCAPE '\', FALSE) OR coalesce(lower(v1) LIKE $5 ESCAPE '\', FALSE) OR coalesce(lower(v1) LIKE $6 ESCAPE '\', FALSE))[1]
ORDER BY "@timestamp", "event.id"
LIMIT $7
