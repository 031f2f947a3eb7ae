// Clustering with planted roles: three groups of hosts with noisy feature sets and one host that behaves like
// none of them. The roles are recovered exactly, named from their features, and the odd host has the top outlier score.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@vigil/common';
import { clusterHosts, jaccardDistance, kMedoids, silhouette } from './roles.js';

function plant(seed: number) {
  const random = seededRandom(seed);
  const roles = {
    web: ['exe:/usr/sbin/nginx', 'exe:/usr/sbin/php-fpm8.2', 'listen:nginx>tcp/80', 'listen:nginx>tcp/443', 'exe:/usr/bin/certbot', 'exe:/usr/sbin/logrotate'],
    build: ['exe:/usr/bin/gcc', 'exe:/usr/bin/make', 'exe:/usr/bin/ld', 'exe:/usr/lib/gcc/cc1', 'exe:/usr/bin/git', 'exe:/usr/bin/java'],
    dev: ['exe:/usr/bin/vim', 'exe:/usr/bin/code', 'exe:/usr/bin/node', 'exe:/usr/bin/python3', 'exe:/usr/bin/git', 'login:alice'],
  };
  const common = ['exe:/usr/bin/ls', 'exe:/usr/bin/cat', 'exe:/usr/sbin/cron', 'listen:sshd>tcp/22'];
  const features = new Map<string, Set<string>>();
  const truth = new Map<string, string>();
  for (const [role, own] of Object.entries(roles)) {
    for (let i = 0; i < 8; i++) {
      const set = new Set([...common, ...own.filter(() => random() > 0.15)]);
      for (let n = 0; n < 3; n++) set.add(`exe:/opt/noise-${Math.floor(random() * 40)}`);
      features.set(`${role}-${i}`, set);
      truth.set(`${role}-${i}`, role);
    }
  }
  features.set('odd-0', new Set([...common.slice(0, 2), 'exe:/usr/bin/xmrig', 'exe:/tmp/.x/kworker', 'listen:kworker>tcp/4444', 'exe:/usr/sbin/nginx', 'exe:/usr/bin/masscan', 'exe:/usr/bin/gcc']));
  return { features, truth };
}

test('jaccard distance and silhouette basics', () => {
  assert.equal(jaccardDistance(new Set(['a', 'b']), new Set(['b', 'c'])), 1 - 1 / 3);
  assert.equal(jaccardDistance(new Set(), new Set()), 0);
  const d = [[0, 0.1, 0.9, 0.9], [0.1, 0, 0.9, 0.9], [0.9, 0.9, 0, 0.1], [0.9, 0.9, 0.1, 0]].map((r) => Float64Array.from(r));
  const medoids = kMedoids(d, 2).sort();
  assert.ok(medoids[0]! < 2 && medoids[1]! >= 2);
  assert.ok(silhouette(d, [0, 0, 1, 1]) > 0.8);
  assert.ok(silhouette(d, [0, 1, 0, 1]) < 0);
});

test('planted roles are recovered, named, and the odd host stands out', () => {
  for (const seed of [1, 2, 3]) {
    const { features, truth } = plant(seed);
    const result = clusterHosts(features);
    const roleOf = new Map(result.hosts.map((h) => [h.hostId, h.role]));
    for (const role of ['web', 'build', 'dev']) {
      const assigned = new Set([...truth].filter(([, r]) => r === role).map(([host]) => roleOf.get(host)));
      assert.equal(assigned.size, 1, `seed ${seed}: all ${role} hosts share one role`);
      const members = result.roles.find((r) => r.id === [...assigned][0])!.members.filter((m) => m !== 'odd-0');
      assert.deepEqual(members.sort(), [...truth].filter(([, r]) => r === role).map(([h]) => h).sort(), `seed ${seed}: the ${role} role holds only ${role} hosts`);
    }
    const webRole = result.roles.find((r) => r.members.includes('web-0'))!;
    assert.match(webRole.name, /nginx|php-fpm|certbot|logrotate/, webRole.name);
    const ranked = [...result.hosts].sort((a, b) => b.outlierScore - a.outlierScore || b.outlierZ - a.outlierZ);
    assert.equal(ranked[0]!.hostId, 'odd-0', `seed ${seed}: ${JSON.stringify(ranked.slice(0, 3))}`);
    assert.ok(ranked[0]!.outlierZ >= 3.5, `seed ${seed}: the odd host is an outlier: z ${ranked[0]!.outlierZ}`);
    assert.ok(ranked.slice(1).every((h) => h.outlierZ < 3.5), `seed ${seed}: no planted host is an outlier: ${JSON.stringify(ranked.slice(1, 3))}`);
  }
});

test('a fleet without structure is one role; an empty fleet is empty', () => {
  const random = seededRandom(5);
  const features = new Map(Array.from({ length: 12 }, (_, i) => [`h${i}`, new Set(Array.from({ length: 10 }, () => `f${Math.floor(random() * 1000)}`))] as const));
  assert.equal(clusterHosts(features).k, 1);
  assert.deepEqual(clusterHosts(new Map()), { k: 0, silhouette: 0, roles: [], hosts: [] });
});
