-- params: ["start","% -enc %","% /enc %","% –enc %","% —enc %","% ―enc %",10000]
SELECT "event.id", "host.id", "@timestamp", "event.category"
FROM "events_process"
WHERE ("event.action" IN ($1))
  AND (((((coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $2 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $3 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $4 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $5 ESCAPE '\', FALSE)) OR (coalesce(lower(coalesce(json_extract_string("winlog.event_data", '$."CommandLine"'), "process.command_line")) LIKE $6 ESCAPE '\', FALSE))))))
ORDER BY "@timestamp", "event.id"
LIMIT $7
