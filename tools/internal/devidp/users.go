package devidp

import (
	"fmt"
	"slices"
	"strings"
	"time"

	commonv1 "fupin.dev/proto/gen/fupin/common/v1"
	"fupin.dev/services/identification/synth"
	"fupin.dev/services/platform/auth"
)

// User is a demo user of the development provider. Username is their subject (sub) and what the sign-in
// page's button for them carries; Department, Role and Region are the claims (dept, role, region) their
// access token carries.
type User struct {
	Username   string
	Name       string
	Department string
	Role       string
	Region     string
	// DepartmentName, RoleName and RegionName are how the sign-in page shows them.
	DepartmentName, RoleName, RegionName string
}

// departmentNames and roleNames are the Chinese names of the claim codes (as the contract's comments
// give them).
var (
	departmentNames = map[commonv1.Department]string{
		commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION:        "乡村振兴局",
		commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS:               "民政局",
		commonv1.Department_DEPARTMENT_DISABLED_PERSONS_FEDERATION: "残联",
		commonv1.Department_DEPARTMENT_HUMAN_RESOURCES:             "人社局",
		commonv1.Department_DEPARTMENT_AGRICULTURE:                 "农业农村局",
		commonv1.Department_DEPARTMENT_FINANCE:                     "财政局",
		commonv1.Department_DEPARTMENT_COUNTY_GOVERNMENT:           "县政府",
		commonv1.Department_DEPARTMENT_MEDICAL_SECURITY:            "医疗保障局",
		commonv1.Department_DEPARTMENT_EMERGENCY_MANAGEMENT:        "应急管理局",
		commonv1.Department_DEPARTMENT_PUBLIC_SECURITY:             "公安局",
	}
	roleNames = map[commonv1.Role]string{
		commonv1.Role_ROLE_COUNTY_ADMIN:     "县级管理员",
		commonv1.Role_ROLE_DEPARTMENT_STAFF: "业务人员",
		commonv1.Role_ROLE_TOWNSHIP_OFFICER: "乡镇干部",
		commonv1.Role_ROLE_VILLAGE_OFFICER:  "村干部",
		commonv1.Role_ROLE_AUDITOR:          "审计",
	}
)

// demoNames are the demo users' names, handed out in order: made up, like the demo county.
var demoNames = []string{
	"王建国", "李秀英", "张志强", "刘桂兰", "陈永红", "杨海燕", "赵德胜", "黄丽华", "周立新", "吴春梅",
	"徐文杰", "孙玉兰", "马国庆", "朱晓燕", "胡振华", "郭淑珍", "何建平", "高秀云", "林志明", "罗红梅",
	"郑国强", "梁美玲", "谢卫东", "宋晓红", "唐明辉", "韩雪梅", "冯志刚", "邓丽娟",
}

// DemoUsers are the development provider's users: a county admin (县级管理员) and a staff member (业务人员)
// of every department; a township officer (乡镇干部) of the county's largest township and a village
// officer (村干部) of that township's largest village, for 乡村振兴局 and 民政局 (whose procedures have
// township and village steps); and an auditor (审计) of each of those two. Usernames are
// "<department>.<role>", e.g. "rural_revitalization.township_officer".
func DemoUsers(regionsFile string) ([]User, error) {
	regions, err := synth.LoadRegions(regionsFile)
	if err != nil {
		return nil, fmt.Errorf("devidp: demo users: %w", err)
	}
	year := time.Now().Year()
	township, ok := largest(regions, synth.LevelTownship, "", year)
	if !ok {
		return nil, fmt.Errorf("devidp: %s has no township", regionsFile)
	}
	village, ok := largest(regions, synth.LevelVillage, township.Code, year)
	if !ok {
		return nil, fmt.Errorf("devidp: township %s has no village", township.Code)
	}
	var county string
	for _, r := range regions {
		if r.Level == synth.LevelCounty {
			county = r.Name
		}
	}
	var users []User
	add := func(d commonv1.Department, r commonv1.Role, region, regionName string) {
		users = append(users, User{
			Username:   auth.DepartmentCode(d) + "." + auth.RoleCode(r),
			Name:       demoNames[len(users)%len(demoNames)],
			Department: auth.DepartmentCode(d), Role: auth.RoleCode(r), Region: region,
			DepartmentName: departmentNames[d], RoleName: roleNames[r], RegionName: regionName,
		})
	}
	withOfficers := []commonv1.Department{commonv1.Department_DEPARTMENT_RURAL_REVITALIZATION, commonv1.Department_DEPARTMENT_CIVIL_AFFAIRS}
	for d := commonv1.Department(1); int(d) < len(commonv1.Department_name); d++ {
		add(d, commonv1.Role_ROLE_COUNTY_ADMIN, "", county)
		add(d, commonv1.Role_ROLE_DEPARTMENT_STAFF, "", county)
		if slices.Contains(withOfficers, d) {
			add(d, commonv1.Role_ROLE_TOWNSHIP_OFFICER, township.Code[:9], township.Name)
			add(d, commonv1.Role_ROLE_VILLAGE_OFFICER, village.Code, township.Name+" "+village.Name)
			add(d, commonv1.Role_ROLE_AUDITOR, "", county)
		}
	}
	return users, nil
}

// largest is the region of a level under parent ("" any) with the most residents in year.
func largest(regions []synth.Region, level, parent string, year int) (synth.Region, bool) {
	var best synth.Region
	found := false
	for _, r := range regions {
		if r.Level != level || (parent != "" && r.Parent != parent) || r.ValidTo != "" {
			continue
		}
		if !found || r.Residents(year) > best.Residents(year) || (r.Residents(year) == best.Residents(year) && strings.Compare(r.Code, best.Code) < 0) {
			best, found = r, true
		}
	}
	return best, found
}
