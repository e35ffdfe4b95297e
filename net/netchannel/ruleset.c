// SPDX-License-Identifier: GPL-2.0
/*
 * The per-netns ruleset: the control-plane rule list and the classifier
 * built from it.  Every edit builds a complete new classifier first and
 * only then publishes it, so a packet sees the old rules or the new ones,
 * never a mix, and an edit that fails leaves everything as it was.
 *
 * All functions here run with nc_net::lock held.
 */
#include <linux/slab.h>

#include "nc.h"

/* How many replaced classifiers may wait for a grace period together. */
#define NC_CLS_RETIRED_MAX	8

struct nc_rule *nc_rule_alloc(gfp_t gfp)
{
	struct nc_rule *rule;

	rule = kzalloc(sizeof(*rule), gfp);
	if (!rule)
		return NULL;
	INIT_LIST_HEAD(&rule->list);
	rule->stats = nc_counters_alloc(NC_RULE_NSTATS);
	if (!rule->stats) {
		kfree(rule);
		return NULL;
	}
	return rule;
}

/* Free a rule no reader can see (never published, or after a grace). */
void nc_rule_free(struct nc_rule *rule)
{
	if (!rule)
		return;
	if (rule->consumer)
		rule->consumer->rule_destroy(rule);
	kfree(rule->chain);
	free_percpu(rule->stats);
	kfree(rule);
}

void nc_rules_free(struct list_head *rules)
{
	struct nc_rule *rule, *tmp;

	list_for_each_entry_safe(rule, tmp, rules, list) {
		list_del(&rule->list);
		nc_rule_free(rule);
	}
}

static u32 nc_next_handle(struct nc_net *nn)
{
	u32 h = nn->next_handle++;

	if (!nn->next_handle)
		nn->next_handle = 1;
	return h;
}

/* Insert keeping (prio, handle) order; a new handle is the largest. */
static void nc_rule_insert(struct list_head *rules, struct nc_rule *rule)
{
	struct nc_rule *pos;

	list_for_each_entry_reverse(pos, rules, list) {
		if (nc_rule_rank(pos) < nc_rule_rank(rule)) {
			list_add(&rule->list, &pos->list);
			return;
		}
	}
	list_add(&rule->list, rules);
}

/* Wait for readers, then free the classifiers they may still be using. */
static void nc_ruleset_sync(struct nc_net *nn, struct nc_cls *old)
{
	synchronize_rcu();
	nc_cls_free(old);
	nc_cls_free_retired(&nn->retired);
}

/*
 * Build a classifier for @rules and publish it.  With @frees_rules, on
 * success the previous classifier is gone and no reader sees it any more,
 * so the caller may free rules that only it referenced; without (an edit
 * that only adds), the previous one is retired, freed by a later grace
 * period.
 */
static int nc_ruleset_commit(struct nc_net *nn, struct list_head *rules,
			     bool frees_rules, struct netlink_ext_ack *extack)
{
	struct nc_cls *cls, *old;
	struct nc_rule *rule;
	bool wait = false;

	cls = nc_cls_build(rules, GFP_KERNEL_ACCOUNT);
	if (IS_ERR(cls)) {
		if (PTR_ERR(cls) == -E2BIG)
			NL_SET_ERR_MSG(extack,
				       "port ranges expand to too many classifier entries");
		else
			NL_SET_ERR_MSG(extack, "out of memory building the classifier");
		return PTR_ERR(cls);
	}
	/* what consumers keep beside the classifier goes live with it */
	list_for_each_entry(rule, rules, list) {
		if (rule->published || !rule->consumer ||
		    !rule->consumer->rule_publish)
			continue;
		wait |= rule->consumer->rule_publish(rule);
		rule->published = true;
	}
	/* no packet may pair a consumer's old state with the new rules */
	if (wait)
		synchronize_rcu();
	old = rcu_replace_pointer(nn->cls, cls, lockdep_is_held(&nn->lock));
	WRITE_ONCE(nn->fail_closed, false);
	nc_net_changed(nn);
	if (frees_rules ||
	    nc_cls_retire(&nn->retired, old) >= NC_CLS_RETIRED_MAX)
		nc_ruleset_sync(nn, frees_rules ? old : NULL);
	return 0;
}

int nc_ruleset_add(struct nc_net *nn, struct nc_rule *rule,
		   struct netlink_ext_ack *extack)
{
	int err;

	lockdep_assert_held(&nn->lock);
	if (nn->nrules >= NETCHANNEL_MAX_RULES) {
		NL_SET_ERR_MSG(extack, "ruleset is full");
		return -ENOSPC;
	}
	rule->handle = nc_next_handle(nn);
	nc_rule_insert(&nn->rules, rule);
	err = nc_ruleset_commit(nn, &nn->rules, false, extack);
	if (err) {
		/* a refused edit changes nothing, handle numbering included */
		list_del_init(&rule->list);
		nn->next_handle = rule->handle;
		return err;
	}
	nn->nrules++;
	return 0;
}

int nc_ruleset_del(struct nc_net *nn, u32 handle,
		   struct netlink_ext_ack *extack)
{
	struct nc_rule *rule;
	struct list_head *prev;
	int err;

	lockdep_assert_held(&nn->lock);
	list_for_each_entry(rule, &nn->rules, list)
		if (rule->handle == handle)
			goto found;
	NL_SET_ERR_MSG(extack, "no rule with this handle");
	return -ENOENT;

found:
	prev = rule->list.prev;
	list_del(&rule->list);
	err = nc_ruleset_commit(nn, &nn->rules, true, extack);
	if (err) {
		list_add(&rule->list, prev);
		return err;
	}
	nn->nrules--;
	nc_rule_free(rule);
	return 0;
}

/**
 * nc_ruleset_replace - atomically replace the whole ruleset
 * @nn: the netns
 * @rules: new rules, validated, without handles; emptied on success
 * @extack: for the reason of a failure
 *
 * On failure the old ruleset stays in place and @rules is left to the
 * caller to free.
 */
int nc_ruleset_replace(struct nc_net *nn, struct list_head *rules,
		       struct netlink_ext_ack *extack)
{
	u32 first_handle = nn->next_handle;
	struct nc_rule *rule, *tmp;
	LIST_HEAD(sorted);
	LIST_HEAD(old);
	unsigned int n = 0;
	int err;

	lockdep_assert_held(&nn->lock);
	list_for_each_entry(rule, rules, list)
		n++;
	if (n > NETCHANNEL_MAX_RULES) {
		NL_SET_ERR_MSG(extack, "too many rules");
		return -ENOSPC;
	}
	/* handles in file order; the classifier orders by priority */
	list_for_each_entry_safe(rule, tmp, rules, list) {
		list_del(&rule->list);
		rule->handle = nc_next_handle(nn);
		nc_rule_insert(&sorted, rule);
	}
	err = nc_ruleset_commit(nn, &sorted, true, extack);
	if (err) {
		list_splice(&sorted, rules);
		nn->next_handle = first_handle;
		return err;
	}
	list_splice_init(&nn->rules, &old);
	list_splice(&sorted, &nn->rules);
	nn->nrules = n;
	nc_rules_free(&old);
	return 0;
}

/*
 * Remove every rule of consumer @c (it is going away).  Should the rebuild
 * fail for want of memory, the rules are still unhooked, since @c's code
 * must not run again; but an empty ruleset would let through what filter
 * rules dropped, so the netns fails closed instead: no classifier, and
 * attached devices drop every packet until the next ruleset commit.
 */
void nc_ruleset_purge(struct nc_net *nn, const struct nc_consumer *c)
{
	struct nc_rule *rule, *tmp;
	struct nc_cls *old;
	LIST_HEAD(gone);

	lockdep_assert_held(&nn->lock);
	list_for_each_entry_safe(rule, tmp, &nn->rules, list) {
		if (rule->consumer == c) {
			list_move_tail(&rule->list, &gone);
			nn->nrules--;
		}
	}
	if (list_empty(&gone))
		return;
	if (nc_ruleset_commit(nn, &nn->rules, true, NULL)) {
		old = rcu_replace_pointer(nn->cls, NULL,
					  lockdep_is_held(&nn->lock));
		WRITE_ONCE(nn->fail_closed, true);
		nc_net_changed(nn);
		nc_ruleset_sync(nn, old);
		/*
		 * The other rules stay listed: the next commit of them all
		 * ends the failure (a commit of fewer would silently open
		 * what they dropped).
		 */
	}
	nc_rules_free(&gone);
}

/* Drop every rule and the classifier: netns exit and module unload. */
void nc_ruleset_release(struct nc_net *nn)
{
	struct nc_cls *cls;

	cls = rcu_replace_pointer(nn->cls, NULL, true);
	nc_ruleset_sync(nn, cls);
	nc_rules_free(&nn->rules);
	nn->nrules = 0;
}
