// Clustering hosts into roles by behaviour: Jaccard distance between feature sets, k-medoids (PAM) with k chosen by
// silhouette, role names from each role's most characteristic features, and an outlier score per host against its
// role. Deterministic for the same input; O(n²) memory and O(k²n²) time per PAM round (fine to a few hundred hosts).

export interface RoleOptions {
  /** Largest k tried (default min(12, hosts - 1)). */
  maxRoles?: number;
  /** Below this mean silhouette the fleet is one role (default 0.15). */
  minSilhouette?: number;
}

export interface Role {
  id: string;
  name: string;
  medoid: string;
  members: string[];
  /** Features most typical of this role compared with the rest of the fleet. */
  characteristic: string[];
}

export interface HostRole {
  hostId: string;
  role: string;
  /** Mean Jaccard distance to the other members of its role (for a one-host role: to the nearest role's members). */
  meanDistance: number;
  /** Robust z-score of meanDistance among the role's members; ≥ 3.5 is an outlier. */
  outlierZ: number;
  /** 0..1 from outlierZ (0 below 2, 1 at 8 and above). */
  outlierScore: number;
}

export interface Clustering {
  k: number;
  silhouette: number;
  roles: Role[];
  hosts: HostRole[];
}

export function jaccardDistance(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 0;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let common = 0;
  for (const x of small) if (large.has(x)) common++;
  return 1 - common / (a.size + b.size - common);
}

/** PAM: BUILD then SWAP until no swap lowers the total distance (or 50 rounds). Returns medoid indexes. */
export function kMedoids(distance: readonly Float64Array[], k: number): number[] {
  const n = distance.length;
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const medoids: number[] = [];
  // BUILD: the point with the least total distance, then greedily the point that lowers the cost most.
  let best = 0;
  let bestSum = Infinity;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let j = 0; j < n; j++) sum += distance[i]![j]!;
    if (sum < bestSum) (bestSum = sum), (best = i);
  }
  medoids.push(best);
  const nearest = Float64Array.from({ length: n }, (_, j) => distance[best]![j]!);
  while (medoids.length < k) {
    let gainBest = -1;
    let pick = -1;
    for (let c = 0; c < n; c++) {
      if (medoids.includes(c)) continue;
      let gain = 0;
      for (let j = 0; j < n; j++) gain += Math.max(0, nearest[j]! - distance[c]![j]!);
      if (gain > gainBest) (gainBest = gain), (pick = c);
    }
    medoids.push(pick);
    for (let j = 0; j < n; j++) nearest[j] = Math.min(nearest[j]!, distance[pick]![j]!);
  }
  const cost = (set: readonly number[]) => {
    let total = 0;
    for (let j = 0; j < n; j++) {
      let m = Infinity;
      for (const s of set) m = Math.min(m, distance[s]![j]!);
      total += m;
    }
    return total;
  };
  let current = cost(medoids);
  for (let round = 0; round < 50; round++) {
    let improved = false;
    for (let mi = 0; mi < medoids.length; mi++) {
      for (let c = 0; c < n; c++) {
        if (medoids.includes(c)) continue;
        const trial = [...medoids];
        trial[mi] = c;
        const trialCost = cost(trial);
        if (trialCost < current - 1e-12) {
          medoids.splice(0, medoids.length, ...trial);
          current = trialCost;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return medoids;
}

function assign(distance: readonly Float64Array[], medoids: readonly number[]): number[] {
  return distance.map((row) => {
    let bestIndex = 0;
    for (let m = 1; m < medoids.length; m++) if (row[medoids[m]!]! < row[medoids[bestIndex]!]!) bestIndex = m;
    return bestIndex;
  });
}

/** Mean silhouette of an assignment (one-member clusters count 0). */
export function silhouette(distance: readonly Float64Array[], labels: readonly number[]): number {
  const n = labels.length;
  const k = Math.max(...labels) + 1;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const sums = new Array<number>(k).fill(0);
    const counts = new Array<number>(k).fill(0);
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      sums[labels[j]!]! += distance[i]![j]!;
      counts[labels[j]!]!++;
    }
    const own = labels[i]!;
    if (counts[own] === 0) continue;
    const a = sums[own]! / counts[own]!;
    let b = Infinity;
    for (let c = 0; c < k; c++) if (c !== own && counts[c]! > 0) b = Math.min(b, sums[c]! / counts[c]!);
    if (!Number.isFinite(b)) continue;
    const s = Math.max(a, b) === 0 ? 0 : (b - a) / Math.max(a, b);
    total += s;
  }
  return n ? total / n : 0;
}

function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A readable label from a feature string: `exe:/usr/sbin/nginx` → `nginx`, `listen:sshd>tcp/22` → `sshd tcp/22`. */
export function featureLabel(feature: string): string {
  const body = feature.slice(feature.indexOf(':') + 1);
  const [left, right] = body.split('>');
  const base = (s: string) => s.slice(s.lastIndexOf('/') + 1);
  if (feature.startsWith('exe:')) return base(body);
  if (feature.startsWith('listen:')) return `${left} ${right}`;
  if (feature.startsWith('login:')) return `login ${body}`;
  return right ? `${base(left!)}>${base(right)}` : base(body);
}

export function clusterHosts(features: ReadonlyMap<string, ReadonlySet<string>>, options: RoleOptions = {}): Clustering {
  const ids = [...features.keys()].sort();
  const n = ids.length;
  const sets = ids.map((id) => features.get(id)!);
  const distance = sets.map((a) => Float64Array.from(sets, (b) => jaccardDistance(a, b)));
  let labels = new Array<number>(n).fill(0);
  let medoids = n ? [kMedoids(distance, 1)[0]!] : [];
  let bestSilhouette = 0;
  const maxK = Math.min(options.maxRoles ?? 12, n - 1);
  for (let k = 2; k <= maxK; k++) {
    const m = kMedoids(distance, k);
    const l = assign(distance, m);
    const s = silhouette(distance, l);
    if (s > bestSilhouette + 1e-9) (bestSilhouette = s), (labels = l), (medoids = m);
  }
  if (bestSilhouette < (options.minSilhouette ?? 0.15)) {
    medoids = n ? [kMedoids(distance, 1)[0]!] : [];
    labels = new Array<number>(n).fill(0);
  }
  const k = medoids.length;
  const membersOf = (c: number) => labels.flatMap((l, i) => (l === c ? [i] : []));
  // Features by share in the role minus share elsewhere.
  const roles: Role[] = [];
  const order = Array.from({ length: k }, (_, c) => c).sort((a, b) => ids[medoids[a]!]!.localeCompare(ids[medoids[b]!]!));
  for (const [index, c] of order.entries()) {
    const members = membersOf(c);
    const inside = new Map<string, number>();
    for (const i of members) for (const f of sets[i]!) inside.set(f, (inside.get(f) ?? 0) + 1);
    const outsideCount = n - members.length;
    const scored = [...inside]
      .filter(([, count]) => count / members.length >= 0.6)
      .map(([f, count]) => {
        let outside = 0;
        if (outsideCount) for (let i = 0; i < n; i++) if (labels[i] !== c && sets[i]!.has(f)) outside++;
        return { f, score: count / members.length - (outsideCount ? outside / outsideCount : 0) };
      })
      .sort((a, b) => b.score - a.score || a.f.localeCompare(b.f));
    const characteristic = scored.slice(0, 8).map((s) => s.f);
    const labelsSeen = new Set<string>();
    const nameParts: string[] = [];
    const kindRank = (f: string) => (f.startsWith('listen:') ? 0 : f.startsWith('exe:') ? 1 : 2);
    const forName = scored.filter((s) => s.score >= 0.5).sort((a, b) => kindRank(a.f) - kindRank(b.f) || b.score - a.score || a.f.length - b.f.length).map((s) => s.f);
    for (const f of [...forName, ...characteristic]) {
      const label = featureLabel(f);
      if (labelsSeen.has(label)) continue;
      labelsSeen.add(label);
      nameParts.push(label);
      if (nameParts.length === 3) break;
    }
    roles.push({ id: `role-${index + 1}`, name: nameParts.join(', ') || `role ${index + 1}`, medoid: ids[medoids[c]!]!, members: members.map((i) => ids[i]!), characteristic });
  }
  const roleOf = new Map<number, Role>(order.map((c, index) => [c, roles[index]!]));
  const hosts: HostRole[] = [];
  const meanTo = (i: number, members: readonly number[]) => {
    const others = members.filter((j) => j !== i);
    return others.length ? others.reduce((sum, j) => sum + distance[i]![j]!, 0) / others.length : 0;
  };
  for (let c = 0; c < k; c++) {
    const members = membersOf(c);
    let reference = members;
    if (members.length < 3) {
      // Too few peers: compare with the nearest other role.
      let nearest = -1;
      let nearestDistance = Infinity;
      for (let o = 0; o < k; o++) {
        if (o === c) continue;
        const d = distance[medoids[c]!]![medoids[o]!]!;
        if (d < nearestDistance) (nearestDistance = d), (nearest = o);
      }
      if (nearest >= 0) reference = membersOf(nearest);
    }
    const referenceMeans = reference.map((j) => meanTo(j, reference));
    const center = median(referenceMeans);
    const mad = median(referenceMeans.map((v) => Math.abs(v - center)));
    for (const i of members) {
      const mean = reference === members ? meanTo(i, members) : reference.reduce((sum, j) => sum + distance[i]![j]!, 0) / Math.max(1, reference.length);
      const z = (mean - center) / (1.4826 * mad + 0.02);
      hosts.push({ hostId: ids[i]!, role: roleOf.get(c)!.id, meanDistance: Math.round(mean * 1000) / 1000, outlierZ: Math.round(z * 100) / 100, outlierScore: Math.round(Math.min(1, Math.max(0, (z - 2) / 6)) * 1000) / 1000 });
    }
  }
  hosts.sort((a, b) => a.hostId.localeCompare(b.hostId));
  return { k, silhouette: Math.round(bestSilhouette * 1000) / 1000, roles, hosts };
}
