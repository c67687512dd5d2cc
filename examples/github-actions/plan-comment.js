// Keep one budgetctl plan comment per pull request up to date.
//
// Called from actions/github-script in budgetctl-plan.yml:
//   const upsert = require('./.github/budgetctl/plan-comment.js');
//   await upsert({ github, context, body, changed });
//
// The comment is found by the hidden marker budgetctl puts on the first line
// of `budgetctl plan --format markdown`. With changes, the comment is created
// or edited; without, an existing comment is edited (so it stops showing
// changes that were dropped) and no new one is made. Returns what it did:
// 'created', 'updated', 'unchanged' or 'skipped'.

const MARKER = '<!-- budgetctl-plan -->';
// GitHub refuses comments longer than 65,536 characters.
const MAX_BODY = 65000;

function fit(body) {
  if (body.length <= MAX_BODY) return body;
  const note =
    '\n\n> [!NOTE]\n> The plan is too long for a comment and was cut here; ' +
    'the job summary and the `budgetctl-plan` artifact have all of it.\n';
  // Cut at a line end, and close a ```diff block, a <pre> or a <details>
  // left open by the cut (a diff block's fence is as long as budgetctl made it).
  let cut = body.slice(0, MAX_BODY - note.length - 64);
  cut = cut.slice(0, cut.lastIndexOf('\n') + 1);
  const fence = [...cut.matchAll(/^(`{3,})diff$/gm)].pop();
  if (fence && !cut.slice(fence.index + fence[0].length).split('\n').includes(fence[1])) {
    cut += fence[1] + '\n';
  }
  if (cut.lastIndexOf('<pre>') > cut.lastIndexOf('</pre>')) cut += '</pre>\n';
  if (cut.lastIndexOf('<details>') > cut.lastIndexOf('</details>')) cut += '</details>\n';
  return cut + note;
}

module.exports = async function upsertPlanComment({ github, context, body, changed }) {
  if (!body.includes(MARKER)) {
    throw new Error('the plan has no budgetctl marker: was it made with --format markdown?');
  }
  const { owner, repo } = context.repo;
  const issue_number = context.issue.number;
  const comments = await github.paginate(github.rest.issues.listComments, {
    owner,
    repo,
    issue_number,
    per_page: 100,
  });
  // Only our own comments: a person quoting the plan keeps theirs.
  const mine = comments.find(
    (c) => c.user && c.user.type === 'Bot' && typeof c.body === 'string' && c.body.includes(MARKER),
  );
  const text = fit(body);
  if (mine) {
    if (mine.body === text) return 'unchanged';
    await github.rest.issues.updateComment({ owner, repo, comment_id: mine.id, body: text });
    return 'updated';
  }
  if (!changed) return 'skipped';
  await github.rest.issues.createComment({ owner, repo, issue_number, body: text });
  return 'created';
};
