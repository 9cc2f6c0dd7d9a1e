/* op_fields.h: the field tables of the controller's operations (op_fields.c),
 * named in ctld_ops[] (main.c); doc/protocol.md "Field types" lists them. */
#ifndef SL_OP_FIELDS_H
#define SL_OP_FIELDS_H

#include "fields.h"

extern const struct field_spec F_none[];
extern const struct field_spec F_job_submit[];
extern const struct field_spec F_job_list[];
extern const struct field_spec F_job_show[];
extern const struct field_spec F_job_cancel[];
extern const struct field_spec F_job_select[];
extern const struct field_spec F_job_update[];
extern const struct field_spec F_job_requeue[];
extern const struct field_spec F_jobdef_register[];
extern const struct field_spec F_jobdef_list[];
extern const struct field_spec F_jobdef_deregister[];
extern const struct field_spec F_by_name[];
extern const struct field_spec F_resv_create[];
extern const struct field_spec F_resv_update[];
extern const struct field_spec F_change[];
extern const struct field_spec F_acct_query[];
extern const struct field_spec F_node_list[];
extern const struct field_spec F_node_update[];
extern const struct field_spec F_node_power[];
extern const struct field_spec F_node_register[];
extern const struct field_spec F_node_heartbeat[];
extern const struct field_spec F_job_started[];
extern const struct field_spec F_job_ended[];
extern const struct field_spec F_step_node_ended[];
extern const struct field_spec F_job_complete[];
extern const struct field_spec F_step_create[];
extern const struct field_spec F_step_complete[];
extern const struct field_spec F_step_list[];
extern const struct field_spec F_step_show[];
extern const struct field_spec F_bcast_grant[];
extern const struct field_spec F_names[];
extern const struct field_spec F_account_change[];
extern const struct field_spec F_user_change[];

#endif
