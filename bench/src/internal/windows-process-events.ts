// Realistic Windows process-start telemetry for detection benchmarks: seeded benign Sysmon event 1 records and the SigmaHQ
// process_creation regression events, both mapped by @vigil/windows exactly as ingest would. Never writes to the corpus.

import { readFileSync } from 'node:fs';
import { corpusPath, seededRandom } from '@vigil/common';
import { mapWindowsEvent, parseConcatenatedJson, recordFromEvtxJson } from '@vigil/windows';

/** A mapped event without event.id, event.sequence and host.id (the sender assigns them). */
export type WindowsTemplate = Record<string, unknown>;

type Random = () => number;
type Account = 'system' | 'local_service' | 'network_service' | 'user' | 'admin';

interface Program {
  image: string;
  description: string;
  product: string;
  company: string;
  originalFileName: string;
  fileVersion: string;
}

interface Profile {
  weight: number;
  program: Program;
  commandLines: readonly ((r: Random, c: Context) => string)[];
  /** Parent image and command line; the parent runs as the same account unless it is a service host. */
  parents: readonly (readonly [image: string, commandLine: string])[];
  accounts: readonly Account[];
  integrity: (account: Account, r: Random) => string;
  directory: (c: Context) => string;
}

interface Context {
  user: string;
  repo: string;
}

const ms = 'Microsoft Corporation';
const windowsProduct = 'Microsoft® Windows® Operating System';
const winVersion = '10.0.22621.4317 (WinBuild.160101.0800)';
const sys32 = 'C:\\Windows\\System32';
const program = (image: string, description: string, originalFileName: string, product = windowsProduct, company = ms, fileVersion = winVersion): Program => ({ image, description, product, company, originalFileName, fileVersion });

const svchostK = ['netsvcs -p -s Schedule', 'LocalServiceNetworkRestricted -p -s EventLog', 'DcomLaunch -p', 'UnistackSvcGroup -s CDPUserSvc', 'wusvcs -p -s WaaSMedicSvc', 'NetworkService -p -s Dnscache', 'LocalSystemNetworkRestricted -p -s SysMain', 'appmodel -p -s StateRepository', 'LocalService -p -s BthAvctpSvc', 'netsvcs -p -s gpsvc', 'RPCSS -p', 'utcsvc -p'];
const repos = ['payments-service', 'vigil', 'intranet-portal', 'data-pipeline', 'mobile-api', 'infra-terraform'];
const users = ['alice.martin', 'bob.nguyen', 'chen.li', 'dana.okafor', 'erik.svensson', 'fatima.haddad', 'george.papadopoulos', 'hana.sato'];
const documents = ['Q3 board report', 'Project plan v4', 'Meeting notes 2024-11-04', 'Onboarding checklist', 'Vendor contract (signed)'];
const sheets = ['Budget 2025', 'Sales pipeline', 'Headcount plan', 'Expense report November'];
const installers = ['GoogleChromeStandaloneEnterprise64', 'Zoom_6.2.5_x64', 'node-v20.18.0-x64', 'python-3.12.7-amd64', '7z2408-x64'];

function int(r: Random, min: number, max: number): number {
  return min + Math.floor(r() * (max - min + 1));
}

function pick<T>(r: Random, list: readonly T[]): T {
  return list[Math.floor(r() * list.length)]!;
}

function hex(r: Random, digits: number): string {
  let out = '';
  while (out.length < digits) out += Math.floor(r() * 0x10000).toString(16).toUpperCase().padStart(4, '0');
  return out.slice(0, digits);
}

function guid(r: Random): string {
  return `{${hex(r, 8)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 4)}-${hex(r, 12)}}`;
}

const chromeDir = 'C:\\Program Files\\Google\\Chrome\\Application';
const edgeDir = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application';
const officeDir = 'C:\\Program Files\\Microsoft Office\\root\\Office16';
const vsCode = (user: string) => `C:\\Users\\${user}\\AppData\\Local\\Programs\\Microsoft VS Code\\Code.exe`;
const chromiumChild = (exe: string) => [
  (r: Random) => `"${exe}" --type=renderer --lang=en-US --device-scale-factor=1 --num-raster-threads=4 --enable-main-frame-before-activation --renderer-client-id=${int(r, 5, 400)} --time-ticks-at-unix-epoch=-${int(r, 1e15, 2e15)} --launch-time-ticks=${int(r, 1e8, 9e9)} --field-trial-handle=1968,i,${int(r, 1e17, 9e17)},${int(r, 1e17, 9e17)},262144 --mojo-platform-channel-handle=${int(r, 3000, 9000)} /prefetch:1`,
  (r: Random) => `"${exe}" --type=utility --utility-sub-type=network.mojom.NetworkService --lang=en-US --service-sandbox-type=none --field-trial-handle=1968,i,${int(r, 1e17, 9e17)},${int(r, 1e17, 9e17)},262144 --mojo-platform-channel-handle=${int(r, 2000, 3000)} /prefetch:11`,
  (r: Random) => `"${exe}" --type=gpu-process --gpu-preferences=UAAAAAAAAADgAAAEAAAAAAAAAAAAAAAAAABgAAEAAAAAAAAAAAAAAAAAAAACAAAAAAAAAAAAAAAAAAAAAAAAEAAAAAAAAAAIAAAAAAAAAAgAAAAAAAAA --field-trial-handle=1968,i,${int(r, 1e17, 9e17)},${int(r, 1e17, 9e17)},262144 --mojo-platform-channel-handle=${int(r, 1900, 2100)} /prefetch:2`,
];
const userIntegrity = (account: Account) => (account === 'admin' ? 'High' : 'Medium');
const serviceIntegrity = () => 'System';
const userHome = (c: Context) => `C:\\Users\\${c.user}\\`;
const repoDir = (c: Context) => `C:\\Users\\${c.user}\\source\\repos\\${c.repo}\\`;
const system32Dir = () => `${sys32}\\`;
const explorer: readonly [string, string] = ['C:\\Windows\\explorer.exe', 'C:\\Windows\\Explorer.EXE'];
const services: readonly [string, string] = [`${sys32}\\services.exe`, `${sys32}\\services.exe`];
const dcomLaunch: readonly [string, string] = [`${sys32}\\svchost.exe`, `${sys32}\\svchost.exe -k DcomLaunch -p`];
const codeParent = (user: string): readonly [string, string] => [vsCode(user), `"${vsCode(user)}"`];

function profiles(user: string): Profile[] {
  const code = codeParent(user);
  return [
    { weight: 8, program: program(`${sys32}\\svchost.exe`, 'Host Process for Windows Services', 'svchost.exe'), commandLines: [(r) => `${sys32}\\svchost.exe -k ${pick(r, svchostK)}`], parents: [services], accounts: ['system', 'local_service', 'network_service'], integrity: serviceIntegrity, directory: system32Dir },
    { weight: 1, program: program('C:\\Windows\\explorer.exe', 'Windows Explorer', 'EXPLORER.EXE'), commandLines: [() => 'C:\\Windows\\Explorer.EXE'], parents: [[`${sys32}\\userinit.exe`, `${sys32}\\userinit.exe`]], accounts: ['user'], integrity: userIntegrity, directory: system32Dir },
    { weight: 12, program: program(`${chromeDir}\\chrome.exe`, 'Google Chrome', 'chrome.exe', 'Google Chrome', 'Google LLC', '130.0.6723.117'), commandLines: chromiumChild(`${chromeDir}\\chrome.exe`), parents: [[`${chromeDir}\\chrome.exe`, `"${chromeDir}\\chrome.exe"`]], accounts: ['user'], integrity: (_, r) => (r() < 0.6 ? 'Low' : 'Medium'), directory: () => `${chromeDir}\\130.0.6723.117\\` },
    { weight: 8, program: program(`${edgeDir}\\msedge.exe`, 'Microsoft Edge', 'msedge.exe', 'Microsoft Edge', ms, '130.0.2849.80'), commandLines: chromiumChild(`${edgeDir}\\msedge.exe`), parents: [[`${edgeDir}\\msedge.exe`, `"${edgeDir}\\msedge.exe" --profile-directory=Default`]], accounts: ['user'], integrity: (_, r) => (r() < 0.6 ? 'Low' : 'Medium'), directory: () => `${edgeDir}\\130.0.2849.80\\` },
    {
      weight: 6,
      program: program('C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\130.0.2849.80\\msedgewebview2.exe', 'Microsoft Edge WebView2', 'msedgewebview2.exe', 'Microsoft Edge WebView2', ms, '130.0.2849.80'),
      commandLines: [(r) => `"C:\\Program Files (x86)\\Microsoft\\EdgeWebView\\Application\\130.0.2849.80\\msedgewebview2.exe" --type=renderer --noerrdialogs --user-data-dir="C:\\Users\\${user}\\AppData\\Local\\Packages\\MSTeams_8wekyb3d8bbwe\\LocalCache\\Microsoft\\MSTeams\\EBWebView" --webview-exe-name=ms-teams.exe --webview-exe-version=24295.605.3225.8804 --embedded-browser-webview=1 --lang=en-US --renderer-client-id=${int(r, 5, 90)} --mojo-platform-channel-handle=${int(r, 4000, 9000)} /prefetch:1`],
      parents: [['C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe', '"C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\ms-teams.exe"']],
      accounts: ['user'],
      integrity: () => 'Low',
      directory: () => 'C:\\Program Files\\WindowsApps\\MSTeams_24295.605.3225.8804_x64__8wekyb3d8bbwe\\',
    },
    {
      weight: 4,
      program: program(`${officeDir}\\WINWORD.EXE`, 'Microsoft Word', 'WinWord.exe', 'Microsoft Office', ms, '16.0.18129.20116'),
      commandLines: [(r) => `"${officeDir}\\WINWORD.EXE" /n "C:\\Users\\${user}\\Documents\\${pick(r, documents)}.docx" /o ""`, () => `"${officeDir}\\WINWORD.EXE" `],
      parents: [explorer],
      accounts: ['user'],
      integrity: userIntegrity,
      directory: userHome,
    },
    { weight: 3, program: program(`${officeDir}\\EXCEL.EXE`, 'Microsoft Excel', 'Excel.exe', 'Microsoft Office', ms, '16.0.18129.20116'), commandLines: [(r) => `"${officeDir}\\EXCEL.EXE" "C:\\Users\\${user}\\OneDrive - Contoso\\Finance\\${pick(r, sheets)}.xlsx"`], parents: [explorer], accounts: ['user'], integrity: userIntegrity, directory: userHome },
    { weight: 2, program: program(`${officeDir}\\OUTLOOK.EXE`, 'Microsoft Outlook', 'Outlook.exe', 'Microsoft Office', ms, '16.0.18129.20116'), commandLines: [() => `"${officeDir}\\OUTLOOK.EXE" `], parents: [explorer], accounts: ['user'], integrity: userIntegrity, directory: userHome },
    {
      weight: 3,
      program: program(`${sys32}\\WindowsPowerShell\\v1.0\\powershell.exe`, 'Windows PowerShell', 'PowerShell.EXE'),
      commandLines: [
        () => `"${sys32}\\WindowsPowerShell\\v1.0\\powershell.exe" -NoLogo`,
        (r, c) => `powershell.exe -NoProfile -Command "Get-ChildItem -Path C:\\Users\\${c.user}\\source\\repos\\${c.repo} -Filter *.csproj -Recurse | Select-Object -First ${int(r, 5, 50)}"`,
        (_, c) => `powershell.exe -NoProfile -File C:\\Users\\${c.user}\\source\\repos\\${c.repo}\\build.ps1 -Configuration Release`,
        () => `powershell.exe -Command "Get-Service | Where-Object Status -eq 'Running' | Sort-Object DisplayName"`,
      ],
      parents: [explorer, code, ['C:\\Program Files\\WindowsApps\\Microsoft.WindowsTerminal_1.21.2911.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe', '"C:\\Program Files\\WindowsApps\\Microsoft.WindowsTerminal_1.21.2911.0_x64__8wekyb3d8bbwe\\WindowsTerminal.exe"']],
      accounts: ['user', 'user', 'admin'],
      integrity: userIntegrity,
      directory: repoDir,
    },
    {
      weight: 5,
      program: program(`${sys32}\\cmd.exe`, 'Windows Command Processor', 'Cmd.Exe'),
      commandLines: [
        () => `C:\\Windows\\system32\\cmd.exe /d /s /c "npm run build"`,
        (_, c) => `C:\\Windows\\system32\\cmd.exe /c "msbuild ${c.repo}.sln /m /p:Configuration=Release /v:minimal"`,
        () => `C:\\Windows\\system32\\cmd.exe /c dotnet test --no-build --logger trx`,
        () => `C:\\Windows\\system32\\cmd.exe /d /s /c "git rev-parse --abbrev-ref HEAD"`,
        () => `C:\\Windows\\system32\\cmd.exe /c nmake /nologo /f Makefile.win all`,
      ],
      parents: [code, ['C:\\Program Files\\nodejs\\node.exe', '"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js" run ci'], ['C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\Common7\\IDE\\devenv.exe', '"C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\Common7\\IDE\\devenv.exe"']],
      accounts: ['user'],
      integrity: userIntegrity,
      directory: repoDir,
    },
    { weight: 8, program: program(`${sys32}\\conhost.exe`, 'Console Window Host', 'CONHOST.EXE'), commandLines: [() => `\\??\\C:\\Windows\\system32\\conhost.exe 0xffffffff -ForceV1`], parents: [[`${sys32}\\cmd.exe`, 'C:\\Windows\\system32\\cmd.exe /d /s /c "npm run build"'], [`${sys32}\\WindowsPowerShell\\v1.0\\powershell.exe`, 'powershell.exe -NoLogo'], ['C:\\Program Files\\Git\\cmd\\git.exe', '"C:\\Program Files\\Git\\cmd\\git.exe" fetch --no-tags origin']], accounts: ['user', 'system'], integrity: (a) => (a === 'system' ? 'System' : 'Medium'), directory: system32Dir },
    { weight: 4, program: program(`${sys32}\\dllhost.exe`, 'COM Surrogate', 'dllhost.exe'), commandLines: [() => `C:\\Windows\\system32\\DllHost.exe /Processid:{AB8902B4-09CA-4BB6-B78D-A8F59079A8D5}`, () => `C:\\Windows\\system32\\DllHost.exe /Processid:{3EB3C877-1F16-487C-9050-104DBCD66683}`, () => `C:\\Windows\\system32\\DllHost.exe /Processid:{973D20D7-562D-44B9-B70B-5A0F49CCDF3F}`], parents: [dcomLaunch], accounts: ['user', 'system'], integrity: (a) => (a === 'system' ? 'System' : 'Medium'), directory: system32Dir },
    { weight: 2, program: program(`${sys32}\\rundll32.exe`, 'Windows host process (Rundll32)', 'RUNDLL32.EXE'), commandLines: [() => `C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\shell32.dll,SHCreateLocalServerRunDll {9aa46009-3ce0-458a-a354-715610a075e6} -Embedding`, () => `C:\\Windows\\System32\\rundll32.exe C:\\Windows\\System32\\Windows.Storage.ApplicationData.dll,CleanupTemporaryState`, () => `C:\\Windows\\system32\\rundll32.exe C:\\Windows\\system32\\PcaSvc.dll,PcaPatchSdbTask`], parents: [dcomLaunch, [`${sys32}\\svchost.exe`, `${sys32}\\svchost.exe -k netsvcs -p -s Schedule`]], accounts: ['user', 'system'], integrity: (a) => (a === 'system' ? 'System' : 'Medium'), directory: system32Dir },
    { weight: 2, program: program(`${sys32}\\msiexec.exe`, 'Windows® installer', 'msiexec.exe', 'Windows Installer - Unicode', ms, '5.0.22621.4317 (WinBuild.160101.0800)'), commandLines: [() => `C:\\Windows\\system32\\msiexec.exe /V`, (r) => `C:\\Windows\\System32\\MsiExec.exe -Embedding ${hex(r, 32)} C`, (r) => `"C:\\Windows\\System32\\msiexec.exe" /i "C:\\Users\\${user}\\Downloads\\${pick(r, installers)}.msi"`], parents: [services, explorer], accounts: ['system', 'admin'], integrity: (a) => (a === 'system' ? 'System' : 'High'), directory: system32Dir },
    { weight: 6, program: program('C:\\Program Files\\Git\\cmd\\git.exe', 'Git for Windows', 'git.exe', 'Git', 'The Git Development Community', '2.47.0.2'), commandLines: [() => `"C:\\Program Files\\Git\\cmd\\git.exe" fetch --no-tags --prune origin`, () => `"C:\\Program Files\\Git\\cmd\\git.exe" status -z -uall`, (r) => `"C:\\Program Files\\Git\\cmd\\git.exe" log --oneline -n ${int(r, 10, 100)}`, () => `"C:\\Program Files\\Git\\cmd\\git.exe" for-each-ref --sort -committerdate --format %(refname) refs/heads`], parents: [code], accounts: ['user'], integrity: userIntegrity, directory: repoDir },
    { weight: 5, program: program('C:\\Program Files\\nodejs\\node.exe', 'Node.js JavaScript Runtime', 'node.exe', 'Node.js', 'Node.js', '20.18.0'), commandLines: [() => `"C:\\Program Files\\nodejs\\node.exe" "C:\\Program Files\\nodejs\\node_modules\\npm\\bin\\npm-cli.js" run build`, (_, c) => `node.exe C:\\Users\\${c.user}\\source\\repos\\${c.repo}\\node_modules\\typescript\\bin\\tsc -b`, () => `node.exe .\\node_modules\\vitest\\vitest.mjs run --reporter=dot`], parents: [[`${sys32}\\cmd.exe`, 'C:\\Windows\\system32\\cmd.exe /d /s /c "npm run build"'], code], accounts: ['user'], integrity: userIntegrity, directory: repoDir },
    { weight: 2, program: program(`C:\\Users\\${user}\\AppData\\Local\\Programs\\Python\\Python312\\python.exe`, 'Python', 'python.exe', 'Python', 'Python Software Foundation', '3.12.7'), commandLines: [(r) => `"C:\\Users\\${user}\\AppData\\Local\\Programs\\Python\\Python312\\python.exe" -m pytest tests -q -x --maxfail=${int(r, 1, 5)}`, () => `python.exe manage.py runserver 127.0.0.1:8000`, () => `python.exe -m pip install -r requirements.txt`], parents: [code, [`${sys32}\\WindowsPowerShell\\v1.0\\powershell.exe`, 'powershell.exe -NoLogo']], accounts: ['user'], integrity: userIntegrity, directory: repoDir },
    { weight: 5, program: program(vsCode(user), 'Visual Studio Code', 'electron.exe', 'Visual Studio Code', ms, '1.95.2'), commandLines: [(r) => `"${vsCode(user)}" --type=utility --utility-sub-type=node.mojom.NodeService --lang=en-US --service-sandbox-type=none --dns-result-order=ipv4first --field-trial-handle=1784,i,${int(r, 1e17, 9e17)},${int(r, 1e17, 9e17)},262144 --mojo-platform-channel-handle=${int(r, 2000, 6000)} /prefetch:14`], parents: [code], accounts: ['user'], integrity: userIntegrity, directory: () => `C:\\Users\\${user}\\AppData\\Local\\Programs\\Microsoft VS Code\\` },
    { weight: 4, program: program(`${sys32}\\RuntimeBroker.exe`, 'Runtime Broker', 'RuntimeBroker.exe'), commandLines: [() => `C:\\Windows\\System32\\RuntimeBroker.exe -Embedding`], parents: [dcomLaunch], accounts: ['user'], integrity: userIntegrity, directory: system32Dir },
    { weight: 3, program: program(`${sys32}\\backgroundTaskHost.exe`, 'Background Task Host', 'backgroundTaskHost.exe'), commandLines: [() => `"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:BackgroundTaskHost.WebAccountProvider`, () => `"C:\\Windows\\system32\\backgroundTaskHost.exe" -ServerName:App.AppXmtcan5tpmkzj4d55h1xezhz7ywhwm4h4.mca`], parents: [dcomLaunch], accounts: ['user'], integrity: () => 'Low', directory: system32Dir },
    { weight: 3, program: program(`${sys32}\\SearchProtocolHost.exe`, 'Microsoft Windows Search Protocol Host', 'SearchProtocolHost.exe'), commandLines: [(r) => `"C:\\Windows\\system32\\SearchProtocolHost.exe" Global\\UsGthrFltPipeMssGthrPipe${int(r, 1, 40)}_ Global\\UsGthrCtrlFltPipeMssGthrPipe${int(r, 1, 40)} 1 -2147483646 "Software\\Microsoft\\Windows Search" "Mozilla/4.0 (compatible; MSIE 6.0; Windows NT; MS Search 4.0 Robot)" "C:\\ProgramData\\Microsoft\\Search\\Data\\Temp\\usgthrsvc" "DownLevelDaemon" `], parents: [[`${sys32}\\SearchIndexer.exe`, 'C:\\Windows\\system32\\SearchIndexer.exe /Embedding']], accounts: ['system'], integrity: serviceIntegrity, directory: system32Dir },
    { weight: 2, program: program(`${sys32}\\wbem\\WmiPrvSE.exe`, 'WMI Provider Host', 'Wmiprvse.exe'), commandLines: [() => `C:\\Windows\\system32\\wbem\\wmiprvse.exe -secured -Embedding`, () => `C:\\Windows\\system32\\wbem\\wmiprvse.exe -Embedding`], parents: [dcomLaunch], accounts: ['network_service', 'system'], integrity: serviceIntegrity, directory: system32Dir },
    { weight: 3, program: program('C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\MSBuild\\Current\\Bin\\amd64\\MSBuild.exe', 'MSBuild.exe', 'MSBuild.exe', 'Microsoft® Build Tools®', ms, '17.11.9.46202'), commandLines: [() => `"C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\MSBuild\\Current\\Bin\\amd64\\MSBuild.exe" /nologo /nodemode:1 /nodeReuse:true /low:false`], parents: [['C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\Common7\\IDE\\devenv.exe', '"C:\\Program Files\\Microsoft Visual Studio\\2022\\Enterprise\\Common7\\IDE\\devenv.exe"']], accounts: ['user'], integrity: userIntegrity, directory: repoDir },
    { weight: 2, program: program(`${sys32}\\taskhostw.exe`, 'Host Process for Windows Tasks', 'taskhostw.exe'), commandLines: [() => 'taskhostw.exe', () => 'taskhostw.exe {222A245B-E637-4AE9-A93F-A59CA119A75E}'], parents: [[`${sys32}\\svchost.exe`, `${sys32}\\svchost.exe -k netsvcs -p -s Schedule`]], accounts: ['user'], integrity: userIntegrity, directory: system32Dir },
    { weight: 1, program: program(`C:\\Users\\${user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe`, 'Microsoft OneDrive', 'OneDrive.exe', 'Microsoft OneDrive', ms, '24.211.1020.0001'), commandLines: [() => `"C:\\Users\\${user}\\AppData\\Local\\Microsoft\\OneDrive\\OneDrive.exe" /background`], parents: [explorer], accounts: ['user'], integrity: userIntegrity, directory: userHome },
  ];
}

const accountNames: Record<Account, { user: (u: string) => string; logonId: (r: Random) => string; session: number }> = {
  system: { user: () => 'NT AUTHORITY\\SYSTEM', logonId: () => '0x3e7', session: 0 },
  local_service: { user: () => 'NT AUTHORITY\\LOCAL SERVICE', logonId: () => '0x3e5', session: 0 },
  network_service: { user: () => 'NT AUTHORITY\\NETWORK SERVICE', logonId: () => '0x3e4', session: 0 },
  user: { user: (u) => `CONTOSO\\${u}`, logonId: (r) => `0x${Math.floor(0x10000 + r() * 0xfff0000).toString(16)}`, session: 1 },
  admin: { user: (u) => `CONTOSO\\${u}`, logonId: (r) => `0x${Math.floor(0x10000 + r() * 0xfff0000).toString(16)}`, session: 1 },
};

/** Stable per-image hashes in Sysmon's `MD5=..,SHA256=..,IMPHASH=..` form (upper-case hex, as Sysmon writes them). */
function hashesOf(image: string): string {
  const r = seededRandom([...image].reduce((h, c) => Math.imul(h ^ c.charCodeAt(0), 16777619), 2166136261));
  return `MD5=${hex(r, 32)},SHA256=${hex(r, 64)},IMPHASH=${hex(r, 32)}`;
}

/**
 * One benign Sysmon event 1 record as evtx_dump renders it to JSON (`{"Event": {"System": ..., "EventData": ...}}`),
 * with a plausible program, command line, parent, account, integrity level and hashes.
 */
export function benignSysmonProcessStart(r: Random, timeMs: number, recordId: number): unknown {
  const user = pick(r, users);
  const context: Context = { user, repo: pick(r, repos) };
  const all = profiles(user);
  let roll = r() * all.reduce((n, p) => n + p.weight, 0);
  const profile = all.find((p) => (roll -= p.weight) < 0) ?? all[0]!;
  const account = pick(r, profile.accounts);
  const [parentImage, parentCommandLine] = pick(r, profile.parents);
  const names = accountNames[account];
  const parentIsService = parentImage.endsWith('\\services.exe') || parentImage.endsWith('\\svchost.exe') || parentImage.endsWith('\\SearchIndexer.exe');
  const time = new Date(timeMs).toISOString();
  const computer = `WKS-${String(int(r, 1, 60)).padStart(4, '0')}.corp.contoso.com`;
  return {
    Event: {
      '#attributes': { xmlns: 'http://schemas.microsoft.com/win/2004/08/events/event' },
      System: {
        Provider: { '#attributes': { Name: 'Microsoft-Windows-Sysmon', Guid: '5770385F-C22A-43E0-BF4C-06F5698FFBD9' } },
        EventID: 1,
        Version: 5,
        Level: 4,
        Task: 1,
        Opcode: 0,
        Keywords: '0x8000000000000000',
        TimeCreated: { '#attributes': { SystemTime: time.replace('Z', '000Z') } },
        EventRecordID: recordId,
        Correlation: null,
        Execution: { '#attributes': { ProcessID: 3904, ThreadID: int(r, 4000, 9000) } },
        Channel: 'Microsoft-Windows-Sysmon/Operational',
        Computer: computer,
        Security: { '#attributes': { UserID: 'S-1-5-18' } },
      },
      EventData: {
        RuleName: '-',
        UtcTime: time.replace('T', ' ').replace('Z', ''),
        ProcessGuid: guid(r),
        ProcessId: int(r, 400, 40000),
        Image: profile.program.image,
        FileVersion: profile.program.fileVersion,
        Description: profile.program.description,
        Product: profile.program.product,
        Company: profile.program.company,
        OriginalFileName: profile.program.originalFileName,
        CommandLine: pick(r, profile.commandLines)(r, context),
        CurrentDirectory: profile.directory(context),
        User: names.user(user),
        LogonGuid: guid(r),
        LogonId: names.logonId(r),
        TerminalSessionId: names.session,
        IntegrityLevel: profile.integrity(account, r),
        Hashes: hashesOf(profile.program.image),
        ParentProcessGuid: guid(r),
        ParentProcessId: int(r, 400, 40000),
        ParentImage: parentImage,
        ParentCommandLine: parentCommandLine,
        ParentUser: parentIsService && account !== 'user' && account !== 'admin' ? 'NT AUTHORITY\\SYSTEM' : names.user(user),
      },
    },
  };
}

/** `count` distinct benign process starts (seeded), mapped by @vigil/windows; every one must map to process/start. */
export function benignWindowsTemplates(seed: number, count: number, startMs: number): WindowsTemplate[] {
  const r = seededRandom(seed);
  const out: WindowsTemplate[] = [];
  for (let i = 0; i < count; i++) {
    const event = mapWindowsEvent(recordFromEvtxJson(benignSysmonProcessStart(r, startMs + i * 37, 100_000 + i))) as unknown as WindowsTemplate;
    if (event['event.category'] !== 'process' || event['event.action'] !== 'start') throw new Error(`benign template ${i} mapped to ${String(event['event.category'])}/${String(event['event.action'])}, not process/start`);
    out.push(event);
  }
  return out;
}

export interface RegressionEvents {
  events: WindowsTemplate[];
  /** Regression tests (rows of sigma/regression_index.tsv) the events come from. */
  tests: number;
}

/**
 * The process-start events of SigmaHQ's Windows process_creation regression tests (their JSON renderings), mapped by
 * @vigil/windows. Fails loudly when the corpus is missing or yields no events.
 */
export function regressionProcessEvents(): RegressionEvents {
  const index = readFileSync(corpusPath('sigma', 'regression_index.tsv'), 'utf8');
  const rows = index.split('\n').slice(1).filter(Boolean).map((line) => line.split('\t'));
  const tests = rows.filter((row) => row[5] === 'windows' && row[6] === 'process_creation' && row[2]?.endsWith('.evtx'));
  const events: WindowsTemplate[] = [];
  for (const row of tests) {
    const file = corpusPath('sigma', row[2]!.replace(/\.evtx$/, '.json'));
    parseConcatenatedJson(readFileSync(file, 'utf8'), file).forEach((json, i) => {
      const event = mapWindowsEvent(recordFromEvtxJson(json, `${file}[${i}]`)) as unknown as WindowsTemplate;
      if (event['event.category'] === 'process' && event['event.action'] === 'start') events.push(event);
    });
  }
  if (!events.length) throw new Error('no process_creation regression events found in the corpus (sigma/regression_index.tsv)');
  return { events, tests: tests.length };
}

/** Picks templates: each draw is a regression event with probability `regressionShare`, else a benign one (seeded). */
export function createTemplateMix(benign: readonly WindowsTemplate[], regression: readonly WindowsTemplate[], regressionShare: number, seed: number): () => WindowsTemplate {
  const r = seededRandom(seed);
  return () => (r() < regressionShare ? pick(r, regression) : pick(r, benign));
}
