export { compileFilters, compileMatcher, type EventFilter, type FilterRuleSpec, type MatcherSpec } from './event-filter.js';
export { createAgentFilter, DEFAULT_AGENT_CONFIG, FIELD_ALIASES, loadAgentConfig, parseAgentConfig, type AgentConfig } from './agent-config.js';
