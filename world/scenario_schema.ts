// The scenario file's format, as one JSON Schema (draft 2020-12): every field, its type, range
// and meaning. Ajv checks a file against it before anything is read from it (world/scenario.ts),
// and `npm run schema` writes it to world/scenario.schema.json for editors (a YAML file that
// starts with `# yaml-language-server: $schema=../world/scenario.schema.json` gets completion
// and checks as it is typed); a test keeps that file equal to this module. Enumerations come
// from the code's own lists, so the schema cannot drift from what the simulator accepts.
//
// Two annotations of ours: `expected` is what an error message says a field should be, where a
// type alone does not say it (a time, a duration, an amount); `removed` is why a field that once
// existed is refused. What one field cannot say (two shares that must sum to at most 1, a fault
// naming a node that exists) is checked after the schema, in world/scenario.ts.
import { NETTINGS, PROTOCOL_VARIANTS } from '../actors/config.ts';
import { BILL_SCOPES } from '../actors/regions.ts';
import { CARE_KINDS } from '../protocol/index.ts';
import { FAULT_TYPES, PEER_LIES, STORAGE_FAULTS } from './faults.ts';
import { CONTRIBUTION_SOURCES, POS_ACTIONS } from './payments.ts';
import { RELATIONS_PER_DONOR_MAX } from './population.ts';
import { BIND_CLAIMS, BIND_FACES } from './workload.ts';

/** Who revokes a scripted relation (E5). */
export const ENDING_PARTIES = ['donor', 'recipient'] as const;

type Schema = Record<string, unknown>;

const SAFE_MAX = Number.MAX_SAFE_INTEGER;

const described = (schema: Schema, description?: string): Schema =>
  description === undefined ? schema : { ...schema, description };

const whole = (min: number, max = SAFE_MAX, description?: string): Schema =>
  described({ type: 'integer', minimum: min, maximum: max }, description);

const number = (min: number, max: number, description?: string): Schema =>
  described({ type: 'number', minimum: min, maximum: max }, description);

const share = (description: string, max = 1): Schema =>
  max === 1 ? { $ref: '#/$defs/share', description } : number(0, max, description);

const ref = (name: string, description?: string): Schema =>
  described({ $ref: `#/$defs/${name}` }, description);

const oneOf = (values: readonly string[], description?: string): Schema =>
  described({ enum: [...values] }, description);

const flag = (description?: string): Schema => described({ type: 'boolean' }, description);

function mapping(
  properties: Record<string, Schema>,
  required: readonly string[] = [],
  description?: string,
): Schema {
  return described(
    {
      type: 'object',
      additionalProperties: false,
      properties,
      ...(required.length > 0 ? { required: [...required] } : {}),
    },
    description,
  );
}

const list = (items: Schema, description: string): Schema => ({
  type: 'array',
  items,
  description,
});

const DEFS: Record<string, Schema> = {
  text: { type: 'string', minLength: 1 },
  share: { type: 'number', minimum: 0, maximum: 1 },
  index: whole(0, SAFE_MAX, 'An index into a list of the population, taken modulo its length.'),
  hour: whole(0, 23, 'An hour of the day, 0–23 (Beijing).'),
  fen: whole(1, SAFE_MAX, 'A positive amount in fen (分): a whole number.'),
  time: {
    description:
      "A virtual time: ms since 00:00 of day 0, 'HH:MM[:SS]' on day 0, or 'D<n>+HH:MM[:SS]'.",
    expected: "ms, or 'HH:MM[:SS]' (a time of day on day 0), or 'D<n>+HH:MM[:SS]'",
    anyOf: [
      whole(0),
      {
        type: 'string',
        pattern: String.raw`^(?:D\d{1,5}\+)?(?:[01]?\d|2[0-3]):[0-5]\d(?::[0-5]\d)?$`,
      },
    ],
  },
  duration: {
    description: "A duration: ms, or a number with a unit: '250ms', '30s', '10m', '1.5h'.",
    expected: "ms, or '<n>ms', '<n>s', '<n>m' or '<n>h'",
    anyOf: [whole(0), { type: 'string', pattern: String.raw`^\d{1,9}(?:\.\d{1,6})?(?:ms|s|m|h)$` }],
  },
  yuan: {
    description:
      'An amount in yuan (元), a number or text, exact to the fen (two decimals at most).',
    expected: "a positive amount in yuan, exact to the fen, e.g. 500 or '12.34'",
    anyOf: [
      { type: 'number', exclusiveMinimum: 0 },
      { type: 'string', pattern: String.raw`^\d{1,15}(?:\.\d{1,2})?$` },
    ],
  },
};

/** A fault of one type: its own fields besides the type, the start and the duration. */
function fault(
  type: string,
  fields: Record<string, Schema>,
  required: readonly string[],
  description: string,
): Schema {
  return {
    type: 'object',
    additionalProperties: false,
    description,
    required: ['type', 'at', ...required],
    properties: {
      type: { const: type },
      at: ref('time', 'When the fault begins.'),
      duration: ref('duration', 'How long it lasts (or durationMs).'),
      durationMs: ref('duration', 'How long it lasts, in ms (or duration).'),
      ...fields,
    },
    expected: "a duration (duration: '10m', or durationMs: 600000)",
    anyOf: [{ required: ['duration'] }, { required: ['durationMs'] }],
  };
}

const GROUP: Schema = {
  type: 'array',
  minItems: 1,
  items: ref('text'),
  description: "Addresses, or patterns of them ('wallet.*', 'province.51').",
};

const DAY = 86_400_000;
const NODE = ref('text', "The node's address.");

DEFS.fault = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: [...FAULT_TYPES] } },
  discriminator: { propertyName: 'type' },
  oneOf: [
    fault(
      'partition',
      { groupA: GROUP, groupB: GROUP, oneWay: flag('Only A → B is cut (default false).') },
      ['groupA', 'groupB'],
      'No message passes between group A and group B (with oneWay, only from A to B).',
    ),
    fault(
      'crash',
      { node: NODE },
      ['node'],
      "The node's host stops, losing writes not yet synced, and restarts after the duration.",
    ),
    fault(
      'reorder',
      {
        rate: share('Share of messages held back.'),
        delayMsMax: ref('duration', 'The longest a message is held back.'),
      },
      ['rate', 'delayMsMax'],
      'Messages overtake each other.',
    ),
    fault('loss', { rate: share('Share of messages lost.', 0.95) }, ['rate'], 'Messages are lost.'),
    fault(
      'duplicate',
      { rate: share('Share of messages delivered twice.', 0.95) },
      ['rate'],
      'Messages are delivered twice.',
    ),
    fault(
      'skew',
      {
        node: NODE,
        offsetMs: described(
          { type: 'integer', minimum: -2 * DAY, maximum: 2 * DAY },
          "How far the node's clock is off, in ms (negative: behind).",
        ),
        driftPpm: described(
          { type: 'integer', minimum: -100_000, maximum: 100_000 },
          'How fast it runs off, in millionths (negative: slow). Default 0.',
        ),
      },
      ['node', 'offsetMs'],
      "The node's clock is off and drifts; its timers fire by its own clock. The heal steps it.",
    ),
    fault(
      'pause',
      { node: NODE },
      ['node'],
      'The node stops (a GC pause); what reaches it meanwhile waits, and its timers fire late.',
    ),
    fault(
      'clog',
      { groupA: GROUP, groupB: GROUP, oneWay: flag('Only A → B is clogged (default false).') },
      ['groupA', 'groupB'],
      'Messages between group A and group B are held, not lost, until the clog clears.',
    ),
    fault(
      'reboot',
      {
        node: NODE,
        wipe: flag('Its durable data is lost: it starts from its opening records (default false).'),
      },
      ['node'],
      'The node stops and starts again after the duration, with or without its durable data.',
    ),
    fault(
      'storage',
      {
        node: NODE,
        mode: oneOf(
          STORAGE_FAULTS,
          'lostWrite: a sync says done and keeps nothing; tornWrite: ' +
            'the power fails during a write and part of the batch reaches the disk.',
        ),
        rate: share("Share of the node's syncs that go wrong."),
      },
      ['node', 'mode', 'rate'],
      "The node's disk loses or tears writes.",
    ),
    fault(
      'redeliver',
      {
        rate: share('Share of messages delivered again.', 0.95),
        delayMs: ref('duration', 'How long after the first delivery (an ack wait, or more).'),
      },
      ['rate', 'delayMs'],
      'The broker delivers messages again, late (an ack that timed out).',
    ),
    fault(
      'peer',
      {
        node: NODE,
        lie: oneOf(PEER_LIES, 'What the extra message lies about.'),
        rate: share('Share of its messages followed by a lie.'),
      },
      ['node', 'lie', 'rate'],
      'A faulty trusted node: valid messages of its role with a wrong id, amount or target.',
    ),
  ],
};

const TOPOLOGY = mapping(
  {
    provinces: {
      description: "'all': the 31 provinces and their real pooling regions; a number: that many.",
      expected: "'all' or a whole number in [1, 31]",
      anyOf: [{ const: 'all' }, whole(1, 31)],
    },
    regionsPerProvinceMax: whole(1, 99, 'At most this many pooling regions per province.'),
  },
  [],
  'Provinces and their pooling regions.',
);

const POPULATION = mapping(
  {
    wallets: whole(2, 50_000_000, 'People, each with a personal account and a wallet.'),
    donorShare: share('Share of people who give to relatives.'),
    unopenedShare: share('Share of wallets never opened (W10).'),
    relationsPerDonorMean: number(1, RELATIONS_PER_DONOR_MAX, 'Mean relatives per donor.'),
    crossProvinceShare: share('Share of relations across provinces.'),
    sameProvinceShare: share(
      'Share of relations to another region of the same province; with crossProvinceShare at ' +
        'most 1 (the rest are in the donor’s own region).',
    ),
    nonCloseShare: share('Share of claimed relatives who are not close kin (refused E2).'),
    balanceMedianYuan: ref('yuan', 'Median personal-account balance.'),
    candidateShare: share('Share of unbound relatives that a binding may name (F1).'),
    unenrolledShare: share('Share of people not enrolled this year (E3).'),
    nationalWallets: whole(
      2,
      2_000_000_000,
      'Wallets of the whole network this population samples: --scale 1:N makes wallets ' +
        'nationalWallets / N.',
    ),
    regions: oneOf(
      ['all', 'walletEnabled', 'rollout'],
      'Where people live: every region; only those with the wallet on the start date (E8); ' +
        'or every region, with wallets opening as their region gets it (W1).',
    ),
  },
  [],
  'People, wallets and relations (DOMAIN §4.4).',
);

const WORKLOAD_SHARES: Record<string, string> = {
  overLimitShare: 'Share of transfers over the per-transfer limit (W3).',
  blackoutShare: 'Share of transfers asked in the night blackout (W8).',
  burstShare: 'Share of transfers in bursts past the daily count (W2).',
  retransferShare: 'Share of transfers of received wallet money (W5).',
  wrongKinshipShare: 'Share of bindings that claim a wrong kinship (E2).',
  idMismatchShare: 'Share of bindings with a wrong ID number.',
  nonEmployeeBindShare: 'Share of bindings asked by someone without a personal account (E1).',
  faceFailShare: 'Share of bindings whose face check fails (E5).',
  faceNoAnswerShare: 'Share of bindings the relative never confirms (they expire).',
};
const WORKLOAD_COUNTS: Record<string, string> = {
  binds: 'Bindings of new relatives (F1).',
  revokes: 'Relations revoked (E5).',
  enrolmentChanges: 'Donors whose enrolment changes (E6).',
  opens: 'Wallets their holders open during the run (W1), from those not yet open.',
  bills: 'Bills at designated providers (F3).',
  contributions: 'Resident contributions (F4).',
};

const WORKLOAD = mapping(
  {
    transfers: whole(0, 100_000_000, 'Transfer requests in the run.'),
    days: whole(1, 366, 'Days the workload spans.'),
    amountMedianYuan: ref('yuan', 'Median transfer amount.'),
    amountMeanYuan: ref('yuan', 'Mean transfer amount (above the median).'),
    ...Object.fromEntries(Object.entries(WORKLOAD_SHARES).map(([k, d]) => [k, share(d)])),
    ...Object.fromEntries(
      Object.entries(WORKLOAD_COUNTS).map(([k, d]) => [k, whole(0, 10_000_000, d)]),
    ),
    scale: whole(1, 1_000_000_000, 'N of 1:N: the run is a 1/N sample of the national network.'),
    rates: mapping(
      {
        transfersPerSecond: number(0, 100_000, 'National wallet transfers per second.'),
        settlementsPerSecond: number(0, 1_000_000, 'National settlements per second.'),
        familyAidPerSecond: number(0, 100_000, 'Settlements a relative pays, per second.'),
        contributionsPerSecond: number(0, 100_000, 'Resident contributions per second (Sep–Dec).'),
        bindsPerTransfer: number(0, 10, 'Binding requests per transfer.'),
      },
      [
        'transfersPerSecond',
        'settlementsPerSecond',
        'familyAidPerSecond',
        'contributionsPerSecond',
        'bindsPerTransfer',
      ],
      'National-equivalent average rates (DOMAIN §4.4): divided by scale and shaped by the ' +
        'calendar of each day, they set the counts of transfers, bills, aid, contributions and ' +
        'binds.',
    ),
    billScopes: mapping(
      {
        sameProvince: share('Share of bills for care in another region of the province.'),
        crossProvince: share('Share of bills for care in another province.'),
      },
      ['sameProvince', 'crossProvince'],
      'Where bills are: the rest are in the insured region (DOMAIN S0: 7:93, 4 % across).',
    ),
    walletUseShare: share('Share of bills the wallet helps pay.'),
  },
  [],
  'The requests of the run, drawn from the seed.',
);

const PROTOCOL = mapping(
  {
    variant: oneOf(
      PROTOCOL_VARIANTS,
      'reference; an alternative design (debitFirst); or a broken variant to be caught.',
    ),
    retryDelayMsMin: whole(1, 600_000, 'Shortest retry delay, ms.'),
    retryDelayMsMax: whole(1, 3_600_000, 'Longest retry delay, ms (at least retryDelayMsMin).'),
    transfersPerDayMax: whole(1, 1000, 'W2: transfers a donor may make per day.'),
    amountPerTransferFenMax: ref('fen', 'W3: the largest transfer, in fen.'),
    blackoutHourStart: ref('hour', 'W8: transfers stop at this hour…'),
    blackoutHourEnd: ref('hour', '…and resume at this hour the next morning.'),
    walletShardCount: whole(1, 1024, 'Wallet shards (wallet.00, wallet.01, …).'),
    giveUpAfterAttempts: whole(1, 100, 'timeoutFails only: attempts before a saga gives up.'),
    startDate: {
      type: 'string',
      pattern: String.raw`^\d{4}-\d{2}-\d{2}$`,
      expected: "a date 'YYYY-MM-DD'",
      description: 'The calendar date of day 0 (Beijing): policies, years and months follow it.',
    },
    requireReceipt: flag('W11: a credit waits for the recipient to receive it.'),
    walletSpendOutsideUseRegion: flag('W17: may a wallet pay outside its use region.'),
    bindAuthTtlMs: ref('duration', 'F1: a binding not confirmed within this long expires.'),
    challengeResendsMax: whole(0, 100, 'F1: face challenges re-sent at most.'),
    authTtlMs: ref('duration', 'W13: a transfer not confirmed within this long is rejected.'),
    returnHour: ref('hour', 'W11: the hour of the next day at which an unreceived credit returns.'),
    presettleTtlMs: ref('duration', 'F3 (D11): a pre-settlement never settled is released then.'),
    orphanHoldAfterMs: ref(
      'duration',
      'A hold still open this long is checked with its owner; one it does not know is released.',
    ),
    netting: oneOf(NETTINGS, 'F5: how a clearing batch nets provinces.'),
    allowWalletToWalletRetransfer: {
      not: {},
      removed:
        'sending received wallet money on (W5) is not modelled, and requests to do so are ' +
        'refused W5: remove the field',
    },
  },
  [],
  'Protocol bounds and the variant (actors/config.ts).',
);

const NETWORK = mapping(
  {
    latencyMsMedian: number(0, 60_000, 'Median one-way latency between sites, ms.'),
    latencySigma: number(0, 3, 'Lognormal sigma of the latency.'),
    localLatencyMs: number(0, 60_000, 'Latency within the national platform, ms.'),
    lossRate: share('Share of messages lost on every link.', 0.9),
    duplicateRate: share('Share of messages duplicated on every link.', 0.9),
    links: list(
      mapping(
        {
          from: ref('text'),
          to: ref('text'),
          latencyMsMedian: number(0, 60_000),
          lossRate: share('Loss on this link.', 0.9),
          duplicateRate: share('Duplicates on this link.', 0.9),
        },
        ['from', 'to'],
      ),
      'Links whose latency, loss or duplication differ from the rest.',
    ),
  },
  [],
  'The simulated network.',
);

const SCRIPT = {
  transfers: list(
    mapping({ at: ref('time'), relation: ref('index'), amount: ref('yuan') }, [
      'at',
      'relation',
      'amount',
    ]),
    'Scripted transfers. With any scripted list, the workload is exactly the scripted requests.',
  ),
  binds: list(
    mapping(
      {
        at: ref('time'),
        candidate: ref('index'),
        face: oneOf(BIND_FACES),
        claim: oneOf(BIND_CLAIMS),
      },
      ['at', 'candidate', 'face', 'claim'],
    ),
    'Scripted bindings (F1).',
  ),
  ends: list(
    mapping({ at: ref('time'), relation: ref('index'), by: oneOf(ENDING_PARTIES) }, [
      'at',
      'relation',
      'by',
    ]),
    'Scripted revocations (E5).',
  ),
  enrolmentChanges: list(
    mapping({ at: ref('time'), relation: ref('index') }, ['at', 'relation']),
    "Scripted enrolment changes of a relation's donor (E6).",
  ),
  opens: list(
    mapping({ at: ref('time'), relation: ref('index') }, ['at', 'relation']),
    "Scripted wallet openings by a relation's recipient (W1).",
  ),
  bills: list(
    mapping(
      {
        at: ref('time'),
        patient: ref('index'),
        where: oneOf(BILL_SCOPES),
        care: oneOf(CARE_KINDS),
        amount: ref('yuan'),
        action: oneOf(POS_ACTIONS),
        useWallet: flag(),
        emergency: flag(),
        aid: ref('index'),
      },
      ['at', 'patient', 'where', 'care', 'amount', 'action', 'useWallet', 'emergency'],
    ),
    'Scripted bills (F3). `aid`: family mutual aid at the point of care, paid by the n-th ' +
      "of the patient's bound donors (modulo), or, for a patient with none, by the donor of " +
      'relation n (no relation: refused).',
  ),
  contributions: list(
    mapping(
      {
        at: ref('time'),
        relation: ref('index'),
        source: oneOf(CONTRIBUTION_SOURCES),
        nextYear: flag(),
        candidate: ref(
          'index',
          "From an account: pay for a candidate's relative, with no relation (E3's exception).",
        ),
      },
      ['at', 'relation', 'source', 'nextYear'],
    ),
    'Scripted resident contributions (F4).',
  ),
};

export const SCENARIO_SCHEMA: Schema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://gongji.invalid/scenario.schema.json',
  title: 'gongji scenario',
  description:
    'A scenario file (YAML or JSON). Every field is optional and overrides the default ' +
    'national day: a section overrides it field by field, a list replaces its list.',
  type: 'object',
  additionalProperties: false,
  properties: {
    name: ref('text', "The scenario's name, in the result."),
    seed: whole(0, SAFE_MAX, 'The seed: the same seed replays the same run.'),
    topology: TOPOLOGY,
    population: POPULATION,
    workload: WORKLOAD,
    protocol: PROTOCOL,
    network: NETWORK,
    storeSyncMs: whole(
      0,
      60_000,
      'Virtual time a group commit takes (crashes lose staged writes).',
    ),
    writeAhead: flag('false: a broken host that sends before its writes are durable.'),
    atomicBatches: flag(
      'false: a broken journal that writes a batch record by record, so a torn write keeps part.',
    ),
    faults: list(ref('fault'), 'The fault schedule; replaces the default one.'),
    ...SCRIPT,
    checks: mapping(
      {
        checkpointEveryDeliveries: whole(1, SAFE_MAX, 'Full recount after this many deliveries.'),
        lifecycleBoundMs: ref(
          'duration',
          'After the last fault heals, every request ends within this.',
        ),
      },
      [],
      "The checkers' bounds.",
    ),
  },
  $defs: DEFS,
};

/** Where the schema is published for editors (`npm run schema` writes it). */
export const SCENARIO_SCHEMA_FILE = new URL('./scenario.schema.json', import.meta.url).pathname;

/** The published file's text: the schema as indented JSON. */
export function scenarioSchemaText(): string {
  return `${JSON.stringify(SCENARIO_SCHEMA, null, 2)}\n`;
}
