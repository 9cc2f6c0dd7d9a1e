/* ec2_fleet.c: CreateFleet (Type=instant) for a node that may run as one of
 * several instance types, or on spot capacity: one call names every type
 * (and subnet) as an override of the launch template, and EC2 picks by the
 * allocation strategy mapped from the partition's.  CreateFleet takes no
 * user data: the launch template's is shared, and finds its node from the
 * instance's Name tag (etc/ec2-user-data.sh, instance metadata tags). */
#include <stdio.h>
#include <string.h>
#include "ec2.h"

/* EC2's strategy for ours (AWS Batch's mapping): on-demand follows our
 * order (prioritized); spot: BEST_FIT* the lowest price, the SPOT_* ones
 * their namesakes. */
static const char *spot_strategy(const char *ours)
{
    if (ours && strcmp(ours, "SPOT_CAPACITY_OPTIMIZED") == 0)
        return "capacity-optimized";
    if (ours && strcmp(ours, "SPOT_PRICE_CAPACITY_OPTIMIZED") == 0)
        return "price-capacity-optimized";
    return "lowest-price";
}

/* The comma list's i-th item into buf, or NULL past its end. */
static const char *item(const char *s, int i, char *buf, size_t len)
{
    for (int k = 0; s && *s; k++) {
        size_t n = strcspn(s, ",");
        if (k == i) {
            snprintf(buf, len, "%.*s", (int)n, s);
            return buf;
        }
        s += n + (s[n] == ',');
    }
    return NULL;
}

static void fleet_form(struct ec2 *x, const struct ec2_fleet *fl, struct ec2_form *f)
{
    char subnet[256];
    int o = 0;
    ec2_form_add(f, "Action", "CreateFleet");
    ec2_form_add(f, "Type", "instant");
    ec2_form_add(f, "ClientToken", fl->token);
    ec2_form_add(f, strncmp(x->launch_template, "lt-", 3) == 0
                        ? "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateId"
                        : "LaunchTemplateConfigs.1.LaunchTemplateSpecification.LaunchTemplateName",
                 x->launch_template);
    ec2_form_add(f, "LaunchTemplateConfigs.1.LaunchTemplateSpecification.Version", "$Default");
    for (size_t t = 0; t < fl->ntypes; t++) {
        for (int s = 0; s == 0 || item(x->subnets, s, subnet, sizeof(subnet)); s++) {
            char prio[16];
            const char *sn = item(x->subnets, s, subnet, sizeof(subnet));
            o++;
            ec2_form_addf(f, fl->types[t], "LaunchTemplateConfigs.1.Overrides.%d.InstanceType", o);
            if (sn && *sn)
                ec2_form_addf(f, sn, "LaunchTemplateConfigs.1.Overrides.%d.SubnetId", o);
            if (x->image_id)
                ec2_form_addf(f, x->image_id, "LaunchTemplateConfigs.1.Overrides.%d.ImageId", o);
            snprintf(prio, sizeof(prio), "%zu", t + 1);   /* our order, subnets alike */
            ec2_form_addf(f, prio, "LaunchTemplateConfigs.1.Overrides.%d.Priority", o);
        }
    }
    ec2_form_add(f, "TargetCapacitySpecification.TotalTargetCapacity", "1");
    ec2_form_add(f, "TargetCapacitySpecification.DefaultTargetCapacityType",
                 fl->spot ? "spot" : "on-demand");
    if (fl->spot) {
        ec2_form_add(f, "TargetCapacitySpecification.SpotTargetCapacity", "1");
        ec2_form_add(f, "SpotOptions.AllocationStrategy", spot_strategy(fl->strategy));
        ec2_form_add(f, "SpotOptions.InstanceInterruptionBehavior", "terminate");
    } else {
        ec2_form_add(f, "TargetCapacitySpecification.OnDemandTargetCapacity", "1");
        ec2_form_add(f, "OnDemandOptions.AllocationStrategy", "prioritized");
    }
    ec2_form_add(f, "TagSpecification.1.ResourceType", "instance");
    ec2_form_add(f, "TagSpecification.1.Tag.1.Key", "Name");
    ec2_form_add(f, "TagSpecification.1.Tag.1.Value", fl->node);
    ec2_form_add(f, "TagSpecification.1.Tag.2.Key", "sluice:cluster");
    ec2_form_add(f, "TagSpecification.1.Tag.2.Value", x->cluster);
}

/* An instant fleet answers 200 with errors instead of an instance. */
static int fleet_answer(struct xml *doc, char *id, size_t idlen, char *type, size_t tlen,
                        struct ec2_err *e)
{
    const char *got = xml_text(doc, "fleetInstanceSet/item/instanceIds/item");
    const char *gt = xml_text(doc, "fleetInstanceSet/item/instanceType");
    if (got) {
        snprintf(id, idlen, "%s", got);
        snprintf(type, tlen, "%s", gt ? gt : "");
        return 0;
    }
    const char *code = xml_text(doc, "errorSet/item/errorCode");
    const char *msg = xml_text(doc, "errorSet/item/errorMessage");
    e->kind = EC2_OTHER;
    if (code && (strstr(code, "Capacity") || strstr(code, "Unsupported") ||
                 strstr(code, "SpotMaxPriceTooLow")))
        e->kind = EC2_CAPACITY;
    snprintf(e->code, sizeof(e->code), "%s", code ? code : "NoInstance");
    snprintf(e->message, sizeof(e->message), "CreateFleet: %s: %s", code ? code : "NoInstance",
             msg ? msg : "no instance and no error");
    return -1;
}

int ec2_fleet_launch(struct ec2 *x, const struct ec2_fleet *fl, char *id, size_t idlen,
                     char *type, size_t tlen, struct ec2_err *e)
{
    struct ec2_form f = { 0 };
    struct xml *doc = NULL;
    fleet_form(x, fl, &f);
    int rc = ec2_call(&x->api, &f, &doc, e);
    ec2_form_free(&f);
    if (rc == 0)
        rc = fleet_answer(doc, id, idlen, type, tlen, e);
    xml_free(doc);
    return rc;
}
