/* The unit test suites (check), one per concern. */
#ifndef SECSOCK_UNIT_H
#define SECSOCK_UNIT_H
#include <check.h>
Suite *proto_suite(void);
Suite *settings_suite(void);
Suite *runtime_suite(void);
Suite *peers_suite(void);
Suite *policy_suite(void);
Suite *peer_uid_suite(void);
Suite *user_reg_suite(void);
Suite *service_suite(void);
Suite *tls_suite(void);
Suite *vici_suite(void);
Suite *vici_client_suite(void);
Suite *xfrm_suite(void);
Suite *sha256_suite(void);
Suite *peer_name_suite(void);
Suite *identity_suite(void);
Suite *trust_anchors_suite(void);
Suite *tls_trust_suite(void);
Suite *discovery_suite(void);
Suite *secsockctl_pki_suite(void);
Suite *secured_list_suite(void);
#endif
