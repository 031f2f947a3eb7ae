-- params: ["start","%cabpag4azw%","%aaaqbuagca%","%wagkabgbna%",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE ("event.action" IN ($1))
  AND (((((coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $2 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $3 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $4 ESCAPE '\', FALSE))))))
ORDER BY "@timestamp", "event.id"
LIMIT $5
